check scenarios/examples/valley.yaml --variant bordr_open
