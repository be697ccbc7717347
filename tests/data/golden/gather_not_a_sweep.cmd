gather tests/data
