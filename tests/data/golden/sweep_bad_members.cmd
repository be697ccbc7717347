sweep scenarios/sweeps/valley_grid.yaml --members 3,x
