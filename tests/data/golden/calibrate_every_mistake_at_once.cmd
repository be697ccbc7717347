calibrate scenarios/examples/valley.yaml --param threat_kernl_km=0.5:3 --param max_departure_rate_per_day=3:1 --from 2024-13-01 --set parameters.awarness_range_km=3
