calibrate scenarios/idlib_2018.yaml --param max_departure_rate_per_day=0.05:0.5 --leave-one-out
