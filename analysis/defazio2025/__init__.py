"""Defazio et al. 2025: one module per artifact."""
