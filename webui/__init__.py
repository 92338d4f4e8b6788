"""The web UI (Flask) and the `zhidu` command line: the edge where engine and storage are wired."""
