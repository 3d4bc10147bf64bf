"""Chou et al. 2025, Figure 5: AdamW vs AdamC on the ViT: the caption claims steadier weight and
gradient norms.
"""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 5 caption: “AdamW (upper) vs. AdamC (lower). λ∝γ scaling of AdamC results in more "
         "stable weight and gradient norms.” / Fig. 1 caption: “Notice the suppression of weight "
         "norm towards the end of the cosine learning rate decay, characteristic of AdamW.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs AdamC on the ViT: the caption claims steadier weight and gradient norms."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "adamw",
                                 "adamc", loss_claim=False)
