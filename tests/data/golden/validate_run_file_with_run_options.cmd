validate {tmp}/v.h5 --set parameters.threat_kernel_km=3 --seed 4 --mode stochastic
