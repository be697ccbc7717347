run scenarios/examples/valley.yaml --no-output --quiet --record variables=departures,arivals;nodes=northcamp,nowhere --record interval_days=0 --record interval=7 --record bogus
