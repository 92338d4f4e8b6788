"""Evidence: the hash-chained journal, replay, verification, and what exports withhold."""
