serve scenarios/examples/valley.yaml --host ''
