"""Kosson et al. 2026, Figure 11 (left): learning-rate sweeps on a DeepSeekMoE-style MoE GPT of
tuned AdamW, tuned Muon and MuonMD; MuonMD's best loss beats both baselines' best.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import load_runs

QUOTE = ("Kosson et al. 2026 (summary), Fig. 11: “The gains from decoupling persist at scale: "
         "on large MoEs, MuonMD beats well-tuned Muon and AdamW … (Left) LR sweep of the base "
         "optimizers on the 270M-active base.”")
NOT_REPRODUCED = ("the centre panel (loss against compute over 270M–810M active models) and "
                  "the right panel; AdamW's ~2× compute saving is not measured")

LABELS = {"adamw": "AdamW (λ, warmup)", "muon": "Muon (λ, warmup)",
          "muonmd": "MuonMD (sphere + gains)"}
BASELINES = ("adamw", "muon")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD against each tuned baseline, each at its best lr, on the MoE GPT."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    found = lr_sweeps.compare_optimizers(sweep_file, runs, LABELS, "11", {
        f"muonmd_beats_tuned_{base}": (LABELS["muonmd"], LABELS[base]) for base in BASELINES})
    fig, ax = style.plt.subplots(figsize=(7, 4.2))
    lr_sweeps.sweep_plot(found["table"], "g", scale, "11", "MoE GPT lr sweeps: tuned AdamW, "
                         "Muon vs MuonMD", ax=ax, label=str,
                         xlabel="lr (AdamW: absolute step; Muon, MuonMD: relative)")
    return style.finish(fig, f"kosson2026-figure-11_{scale}", found["verdicts"], found["shown"],
                        found["measured"], out_dir, text_y=-0.02, premises=found["premises"])
