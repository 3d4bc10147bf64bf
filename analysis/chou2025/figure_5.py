"""Chou et al. 2025, Figure 5: AdamW vs AdamC on the ViT: the caption claims steadier weight and
gradient norms.
"""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Chou et al. 2025"


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs AdamC on the ViT: the caption claims steadier weight and gradient norms."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "adamw",
                                 "adamc", loss_claim=False)
