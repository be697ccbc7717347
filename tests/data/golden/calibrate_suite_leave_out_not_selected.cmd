calibrate --suite scenarios/validation/suite.yaml --param max_departure_rate_per_day=0.05:0.5 --cases idlib_2018,mali2012 --leave-out car2013
