calibrate --suite scenarios/validation/suite.yaml --param max_departure_rate_per_day=0.05:0.5 --leave-out burundi2016
