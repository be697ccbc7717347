import-flee tests/data/flee/good/ --rules haven --departures predicted -o -
