compare {tmp}/calm.h5 --at peak --at end --csv
