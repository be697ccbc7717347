check scenarios/examples/valley.yaml
