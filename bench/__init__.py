"""Benchmarks; each prints numbers: `python -m bench.<name>` (see docs/benchmarks.md)."""
