calibrate scenarios/examples/valley.yaml --param threat_kernel_km=0.5:2 --runs 1 --max-evals 2 --from 2024-04-10 --to 2024-03-01 -o {tmp}/fit.yaml
