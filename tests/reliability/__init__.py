"""Reliability tests: a fault matrix, fuzzing, secrets, cancellation and load."""
