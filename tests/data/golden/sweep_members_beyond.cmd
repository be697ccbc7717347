sweep scenarios/sweeps/valley_grid.yaml --members 3,10-9223372036854775807
