calibrate scenarios/examples/valley.yaml --param nodes.southtown.population=30000:90000 --max-evals 3
