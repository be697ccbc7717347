calibrate scenarios/examples/valley.yaml --set observations=[] --param threat_kernel_km=0.5:3
