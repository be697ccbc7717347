check scenarios/examples/valley.yaml --set-file tests/data/overlays/events_switched_off.yaml
