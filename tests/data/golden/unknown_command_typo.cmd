rnu scenarios/examples/valley.yaml
