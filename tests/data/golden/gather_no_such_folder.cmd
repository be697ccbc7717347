gather {tmp}/no_such_sweep
