"""Benchmarks: speed and memory targets live here, not in timed tests.

`make bench` (or `.venv/bin/python -m bench`) runs each one with its default size; each module
also runs alone with `.venv/bin/python -m bench.<name> [options]`.
"""
