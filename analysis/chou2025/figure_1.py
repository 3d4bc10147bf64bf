"""Chou et al. 2025, Figure 1: AdamW vs Renormalized AdamW (Alg. 1) on a ViT."""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Chou et al. 2025"


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs Renormalized AdamW (Alg. 1) on a ViT."""
    return corrected_vs_baseline(PAPER, "1", sweep_file, scale, results, out_dir, "adamw",
                                 "renormalized_adamw")
