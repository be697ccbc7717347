calibrate --param threat_kernel=0.5:2 scenarios/examples/valley.yaml --runs 2
