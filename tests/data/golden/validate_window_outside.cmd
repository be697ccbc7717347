validate {tmp}/v.h5 --from 2025-01-01
