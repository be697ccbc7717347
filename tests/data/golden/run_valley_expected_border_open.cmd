run scenarios/examples/valley.yaml --no-output --quiet --mode expected --variant border_open
