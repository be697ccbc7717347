check scenarios/examples/valley.yaml --variant bigger_camp --set nodes.hillcamp.capacity=50000
