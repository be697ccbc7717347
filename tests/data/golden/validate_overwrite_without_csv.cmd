validate scenarios/examples/valley.yaml --overwrite
