compare {tmp}/nothing.h5
