"""Kosson et al. 2026: one module per artifact."""
