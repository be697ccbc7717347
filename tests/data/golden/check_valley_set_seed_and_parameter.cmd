check scenarios/examples/valley.yaml --set scenario.seed=5 --set parameters.awareness_range_km=90
