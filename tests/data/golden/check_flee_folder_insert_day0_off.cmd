check tests/data/flee/good --set parameters.flee_insert_day0=0
