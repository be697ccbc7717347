check tests/data/overlays/what_if.yaml
