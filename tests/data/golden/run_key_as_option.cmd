run tests/data/flee/good --rules haven
