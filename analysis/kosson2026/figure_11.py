"""Kosson et al. 2026, Figure 11 (left): learning-rate sweeps on a DeepSeekMoE-style MoE GPT of
tuned AdamW, tuned Muon and MuonMD; MuonMD's best loss beats both baselines' best.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import ResultsError, load_runs
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 11: “The gains from decoupling persist at scale: "
         "on large MoEs, MuonMD beats well-tuned Muon and AdamW … (Left) LR sweep of the base "
         "optimizers on the 270M-active base.”")
NOT_REPRODUCED = ("the centre panel (loss against compute over 270M–810M active models) and "
                  "the right panel; AdamW's ~2× compute saving is not measured")

LABELS = {"adamw": "AdamW (λ, warmup)", "muon": "Muon (λ, warmup)",
          "muonmd": "MuonMD (sphere + gains)"}
BASELINES = ("adamw", "muon")


def label_of(config: dict) -> str:
    if config["optimizer"] not in LABELS:
        raise ResultsError(f"figure 11 has no place for optimizer {config['optimizer']}")
    return LABELS[config["optimizer"]]


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD against each tuned baseline, each at its best lr, on the MoE GPT."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    table = lr_sweeps.sweep_table(runs, label_of)
    best = table.groupby("g")["loss"].min()
    missing = [name for name in LABELS.values() if name not in best]
    if missing:
        raise ResultsError(f"{sweep_file}: figure 11 needs runs for {', '.join(missing)}")
    compared = lr_sweeps.best_runs(runs, table, "g", label_of)
    premises, verdicts, learned = lr_sweeps.learns_premise(compared)
    md = LABELS["muonmd"]
    shown, lines = lr_sweeps.best_beats(best, compared, {
        f"muonmd_beats_tuned_{base}": (md, LABELS[base]) for base in BASELINES})
    verdicts += lines
    edge = lr_sweeps.edge_optima(table, "g")[1]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside its lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    fig, ax = style.plt.subplots(figsize=(7, 4.2))
    lr_sweeps.sweep_plot(table, "g", scale, "11", "MoE GPT lr sweeps: tuned AdamW, Muon vs "
                         "MuonMD", ax=ax, label=str,
                         xlabel="lr (AdamW: absolute step; Muon, MuonMD: relative)")
    measured = {"best_loss": {g: float(v) for g, v in best.items()}, "at_edge": edge, **learned}
    return style.finish(fig, f"kosson2026-figure-11_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
