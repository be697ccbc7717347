check scenarios/examples/valley.yaml --set nodes.midcity.population=200000 --set corridors.midcity-hilltown.length_km=35 --set events[0].intensity=8
