check scenarios/examples/valley.yaml --set nodes.southtown.population=-5 --set parameters.awareness_range_km=abc
