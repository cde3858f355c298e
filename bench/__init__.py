"""Benchmarks (documented commands that print numbers; not part of the test suite)."""
