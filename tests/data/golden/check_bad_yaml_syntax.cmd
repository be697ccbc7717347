check tests/data/bad/yaml_unclosed_bracket.yaml
