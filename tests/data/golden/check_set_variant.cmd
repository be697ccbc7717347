check scenarios/examples/valley.yaml --set variants.border_open.add_events.0.day=59
