sweep scenarios/examples/valley.yaml --list
