check scenarios/examples/valley.yaml --variant bigger_camp
