check {tmp}/valley.h5
