run tests/data/flee/good --rules --quiet
