"""The facade's questions: what a person may read, through the shared runner."""
