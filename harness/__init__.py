"""wdlab harness: sweep files -> runs -> Parquet results.

Kept import-light (no torch) so `analysis/` can use `harness.sweep` on a laptop.
"""
