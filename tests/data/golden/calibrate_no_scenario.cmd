calibrate --param max_departure_rate_per_day=0.05:0.5
