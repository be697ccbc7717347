info {tmp}
