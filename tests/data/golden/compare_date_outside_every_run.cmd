compare {tmp}/v.h5 {tmp}/late.h5 --at 2024-05-01
