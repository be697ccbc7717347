import-flee tests/data/flee/good --rules flee -o -
