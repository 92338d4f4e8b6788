"""Neutral wiring shared by every edge (web app, command line, worker): configuration, the
engine over storage, and the JSON every edge writes. Imports engine and storage, never an edge."""
