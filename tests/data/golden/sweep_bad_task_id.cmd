sweep scenarios/sweeps/valley_grid.yaml --tasks 2 --task-id 2
