compare {tmp}/base.h5 {tmp}/open.h5 {tmp}/camp.h5
