info scenarios
