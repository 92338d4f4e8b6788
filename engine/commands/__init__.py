"""The facade's commands: each one unit of work through the shared runner (runner.py)."""
