run scenarios/examples/valley.yaml --no-output --quiet --mode wrong
