import-flee tests/data/flee/good --rules flee -o output/good-flee.yaml
