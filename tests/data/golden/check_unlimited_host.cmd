check tests/data/golden/unlimited_host.yaml
