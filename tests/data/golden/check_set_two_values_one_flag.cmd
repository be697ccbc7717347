check --set scenario.seed=5 parameters.awareness_range_km=90 scenarios/examples/valley.yaml
