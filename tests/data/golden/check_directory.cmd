check tests/data
