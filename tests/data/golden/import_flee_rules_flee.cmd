import-flee tests/data/flee/good --rules flee -o {tmp}/good-flee.yaml
