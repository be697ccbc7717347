check scenarios/examples/valley.yaml --set-file tests/data/overlays/bad_overlay.yaml
