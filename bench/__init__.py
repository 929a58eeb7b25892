"""Benchmarks (`make bench`): figures reported in issue notes, never asserted by tests."""
