import-flee tests/data/flee/good --departures given
