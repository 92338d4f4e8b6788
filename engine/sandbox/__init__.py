"""The script sandbox: the compiler policy, the limits, and the worker processes that run
scripts and expressions out of the server's process."""
