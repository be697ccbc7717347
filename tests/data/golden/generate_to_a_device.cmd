generate --nodes 10 --corridors 20 -o /dev/null
