check scenarios/sweeps/valley_grid.yaml
