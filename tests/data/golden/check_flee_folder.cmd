check tests/data/flee/good
