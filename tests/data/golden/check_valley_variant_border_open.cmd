check scenarios/examples/valley.yaml --variant border_open
