"""Benchmarks for the memfs package; run with ``python -m bench`` (``--quick`` for a smoke run)."""
