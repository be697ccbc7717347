check tests/data/golden/default_ids.yaml
