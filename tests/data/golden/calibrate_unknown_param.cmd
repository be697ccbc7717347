calibrate scenarios/examples/valley.yaml --param threat_kernel=0.5:2
