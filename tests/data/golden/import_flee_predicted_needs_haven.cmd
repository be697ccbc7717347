import-flee tests/data/flee/good --departures predicted
