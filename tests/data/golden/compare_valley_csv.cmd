compare {tmp}/base.h5 {tmp}/open.h5 {tmp}/camp.h5 --csv --at 10 --at peak --at end
