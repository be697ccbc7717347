info scenarios/examples/valley.yaml
