run scenarios/examples/valley.yaml --days 61 --no-output --quiet
