run --set parameters.awareness_range_km=100 --record interval_days=7 scenarios/examples/valley.yaml --days 3 --no-output --quiet
