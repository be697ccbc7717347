compare {tmp}/base.h5 {tmp}/open.h5 {tmp}/camp.h5 --at 10 --at 20 --at 30 --at 40 --at peak --at end
