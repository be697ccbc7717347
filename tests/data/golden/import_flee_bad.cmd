import-flee tests/data/flee/bad
