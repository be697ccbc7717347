compare {tmp}/open.h5 {tmp}/capped.h5
