compare {tmp}/flee.h5
