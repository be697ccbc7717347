compare {tmp}/base.h5 {tmp}/open.h5 {tmp}/camp.h5 --at 2024-03-10 --at 45 --at peak --at end --at 7
