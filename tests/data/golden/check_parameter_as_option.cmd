check scenarios/examples/valley.yaml --threat_kernel_km=2
