check scenarios/examples/valley.yaml --set-file tests/data/overlays/events_replaced.yaml
