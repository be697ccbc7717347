sweep --list scenarios/sweeps/valley_camp_sizes.yaml
