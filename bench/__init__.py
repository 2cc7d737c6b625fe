"""Benchmarks: each figure beside its raw floor, measured in the same run (`uv run python -m bench`)."""
