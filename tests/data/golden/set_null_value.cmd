check scenarios/examples/valley.yaml --set nodes.northcamp.capacity=~ --set scenario.days=~
