check tests/data/overlays/no_ids_scenario.yaml --set-file tests/data/overlays/events_no_ids_one_off.yaml
