calibrate scenarios/examples/valley.yaml --param threat_kernel_km=0.5:2 --runs 1 --max-evals 2 --from 2025-01-01 -o {tmp}/fit.yaml
