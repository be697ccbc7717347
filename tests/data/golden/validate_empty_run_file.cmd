validate tests/data/empty.h5
