import-flee tests/data/flee/good --rules haven --simsetting tests/data/flee/simsetting.yml -o -
