"""`make bench`: scaled-feed benchmarks of gtfs-builder's validator and compiler against peers.

Not part of `make test`: it makes multi-gigabyte feeds and runs for many minutes. Entry point:
`python -m bench.run` (see `bench/run.py`); results land in `bench/results.md`.
"""
