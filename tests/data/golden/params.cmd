params
