"""wdlab analysis: figures, tables and claim checks from results Parquet (no training code)."""
