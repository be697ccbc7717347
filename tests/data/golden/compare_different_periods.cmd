compare {tmp}/whole.h5 {tmp}/short.h5 --at 10
