check tests/data/golden/warnings.yaml
