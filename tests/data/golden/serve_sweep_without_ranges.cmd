serve scenarios/examples/valley.yaml --sweep scenarios/sweeps/valley_grid.yaml
