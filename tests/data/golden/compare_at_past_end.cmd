compare {tmp}/base.h5 --at 5000 --at yesterday --at pek
