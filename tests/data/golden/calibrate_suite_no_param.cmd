calibrate --suite scenarios/validation/suite.yaml --runs 1
