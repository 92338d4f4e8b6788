"""The `zhidu` command line: a thin edge over the engine facade, like webui/, wired by bootstrap/."""
