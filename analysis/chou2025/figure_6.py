"""Chou et al. 2025, Figure 6: Scion vs ScionC (cosine C²). ScionC's C² schedule itself lowers ‖w‖
(to ½ by the end for C²_T = C²_0/4), so "more stable" here means: falls less than Scion's.
"""

from __future__ import annotations

from analysis.corrected import corrected_vs_baseline
from analysis.theory import scion_theory

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 6 caption: “Scion (upper) vs. ScionC (cosine, lower). λ∝γ scaling of ScionC "
         "results in more stable weight and gradient norms.” / §3.2: “the model does not benefit "
         "from the terminal weight norm suppression of uncorrected weight decay as … (Fig. 6)”")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC (cosine C²). ScionC's C² schedule itself lowers ‖w‖ (to ½ by the end
    for C²_T = C²_0/4), so "more stable" here means: falls less than Scion's."""
    return corrected_vs_baseline(PAPER, "6", sweep_file, scale, results, out_dir, "scion",
                                 "scionc", keep_fraction=1.0, loss_claim=False,
                                 overlay=scion_theory)
