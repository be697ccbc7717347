validate tests/data/flee/good --runs 2 --mode expected
