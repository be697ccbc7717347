check scenarios/examples/valley.yaml --set-file tests/data/overlays/located_inside_lists.yaml
