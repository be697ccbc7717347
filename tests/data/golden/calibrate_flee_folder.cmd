calibrate tests/data/flee/good --param threat_kernel_km=0.5:3
