calibrate --suite scenarios/validation/suite.yaml --param nodes.0.population=1000:20000 --max-evals 2
