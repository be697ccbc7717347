check scenarios/examples/valley.yaml --set-file tests/data/overlays/what_if.yaml
