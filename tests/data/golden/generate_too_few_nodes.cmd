generate --nodes 3
