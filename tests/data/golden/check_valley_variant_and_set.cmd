check scenarios/examples/valley.yaml --variant border_open --set scenario.days=30
