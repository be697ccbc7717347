validate scenarios/examples/valley.yaml --from 2024-04-02 --to 2024-04-19
