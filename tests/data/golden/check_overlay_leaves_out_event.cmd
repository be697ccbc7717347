check scenarios/examples/valley.yaml --set-file tests/data/overlays/events_one_left_out.yaml
