import-flee tests/data/flee/good --simsetting tests/data/flee/simsetting.yml -o -
