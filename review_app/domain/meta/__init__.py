"""Meta-analysis as pure functions, equal to R metafor 3.8-1 (see model.py)."""
