check scenarios/examples/valley.yaml --set scenario.seed
