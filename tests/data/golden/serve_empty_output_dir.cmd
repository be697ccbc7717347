serve scenarios/examples/valley.yaml --output-dir ''
