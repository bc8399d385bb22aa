"""Benchmarks: a dealer-group data generator (`python -m bench.generate`) and the figures of
issue 5 as JSON (`python -m bench.run`). Not part of the application package."""
