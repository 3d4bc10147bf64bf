"""Chou et al. 2025, Figure 13: Scion vs ScionC (constant C²): Fig. 4's claims on the ViT, with the
Eq. 4 overlay.
"""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline
from analysis.theory import scion_theory

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 13 caption: “Scion (λ=0.0004, upper) vs. ScionC (constant … , lower). λ∝γ scaling "
         "of ScionC results in more stable weight and gradient norms.”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC (constant C²): Fig. 4's claims on the ViT, with the Eq. 4 overlay."""
    return corrected_vs_baseline(PAPER, "13", sweep_file, scale, results, out_dir, "scion",
                                 "scionc", loss_claim=False, overlay=scion_theory)
