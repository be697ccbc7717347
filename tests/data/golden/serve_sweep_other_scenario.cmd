serve scenarios/idlib_2019_2020.yaml --sweep tests/data/serve/valley_camp_ranges.yaml
