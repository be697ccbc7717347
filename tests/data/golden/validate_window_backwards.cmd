validate {tmp}/v.h5 --from 2024-03-20 --to 2024-03-10
