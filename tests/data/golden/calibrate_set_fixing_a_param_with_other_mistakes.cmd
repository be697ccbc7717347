calibrate scenarios/examples/valley.yaml --param threat_kernel_km=0.5:2 --from 2020-13-01 --set parameters.threat_kernel_km=1 --set parameters.nonexistent=3
