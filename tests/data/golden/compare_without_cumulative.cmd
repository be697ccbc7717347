compare {tmp}/thin.h5 {tmp}/short.h5 --at end
