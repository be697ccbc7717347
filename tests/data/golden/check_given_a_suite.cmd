check scenarios/validation/suite.yaml
