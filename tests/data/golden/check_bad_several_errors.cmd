check tests/data/bad/several_errors_collected.yaml
