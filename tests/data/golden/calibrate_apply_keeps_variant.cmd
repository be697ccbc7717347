calibrate scenarios/examples/valley.yaml --variant border_open --set parameters.max_departure_rate_per_day=0.1 --param threat_half_saturation=30:120 --runs 1 --max-evals 2 -o {tmp}/fit.yaml
