"""Kosson et al. 2026, Figure 8: the lr transfer across width under AdamMD, Figure 7's claim for
the other base optimizer. The summary's caption breaks off after "The LR transfer of"; which
optimizer the figure shows is our reading: the abstract claims the transfer "across both Adam
and Muon", and Figure 7 is MuonMD's.
"""

from __future__ import annotations

from analysis.kosson2026.figure_7 import draw_transfer

QUOTE = ("Kosson et al. 2026 (summary), Fig. 8: “The LR transfer of …” (the caption breaks off) / "
         "Abstract: “Across both Adam and Muon, MD Decoupling improves on well-tuned baselines, "
         "transfers the optimal LR across model width without retuning”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = ("the caption is cut off in the summary: that the figure is AdamMD's width "
                  "transfer is our reading")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamMD matrix-lr sweeps across width: the optimum should not move."""
    return draw_transfer(sweep_file, scale, results, out_dir, "8", "AdamMD")
