"""Benchmarks; each prints numbers: `python -m bench.<name>` (see "Benchmarks" in README.md)."""
