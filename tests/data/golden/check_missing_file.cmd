check tests/data/no_such_file.yaml
