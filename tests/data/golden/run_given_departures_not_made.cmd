run scenarios/flee/burundi2015.yaml --set departures.mode=given --no-output --quiet --days 60 --mode expected
