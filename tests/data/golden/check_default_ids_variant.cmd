check tests/data/golden/default_ids.yaml --variant calmer --set events.bombardment_3.intensity=1
