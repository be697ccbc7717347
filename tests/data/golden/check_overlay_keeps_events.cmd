check scenarios/examples/valley.yaml --set-file tests/data/overlays/events_all_kept.yaml
