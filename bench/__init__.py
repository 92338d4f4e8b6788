"""zhidu benchmarks: they print figures, they do not pass or fail. Run all with `make bench`."""
