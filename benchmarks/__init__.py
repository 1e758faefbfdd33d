"""Benchmarks: scripts, not tests. Run them with `python -m benchmarks.NAME`."""
