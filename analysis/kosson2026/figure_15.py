"""Kosson et al. 2026, Figure 15: nGPT trained as proposed (Adam or Muon, matrices renormalized
after each step) against MD Decoupling on top of nGPT; per family, MD's best loss beats nGPT's.
Top: final loss against lr; bottom: the training-loss curves of each curve's best run.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import ResultsError, load_runs
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 15: “nGPT is a distinct architecture, not just "
         "spherical optimization, and applying our reparameterization on top of it outperforms "
         "nGPT as proposed. … (Top) LR sweeps of the final loss and (bottom) the corresponding "
         "loss curves, for the (Left) Adam family and (Right) Muon family.”")
NOT_REPRODUCED = ("“nGPT is a distinct architecture, not just spherical optimization” is not "
                  "checked; the loss curves are drawn, not judged")

# family -> (nGPT as proposed, MD on top of nGPT)
FAMILIES = {"Adam": ("adamw", "adammd"), "Muon": ("muon", "muonmd")}
LABELS = {"adamw": "nGPT + Adam (as proposed)", "adammd": "nGPT + AdamMD",
          "muon": "nGPT + Muon (as proposed)", "muonmd": "nGPT + MuonMD"}


def label_of(config: dict) -> str:
    if config["optimizer"] not in LABELS:
        raise ResultsError(f"figure 15 has no place for optimizer {config['optimizer']}")
    return LABELS[config["optimizer"]]


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Per family, MD on nGPT against nGPT as proposed, each at its best lr."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    table = lr_sweeps.sweep_table(runs, label_of)
    best = table.groupby("g")["loss"].min()
    missing = [name for name in LABELS.values() if name not in best]
    if missing:
        raise ResultsError(f"{sweep_file}: figure 15 needs runs for {', '.join(missing)}")
    compared = lr_sweeps.best_runs(runs, table, "g", label_of)
    premises, verdicts, learned = lr_sweeps.learns_premise(compared)
    shown, lines = lr_sweeps.best_beats(best, compared, {
        f"{md}_on_ngpt_beats_ngpt_{plain}": (LABELS[md], LABELS[plain])
        for plain, md in FAMILIES.values()})
    verdicts += lines
    edge = lr_sweeps.edge_optima(table, "g")[1]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside its lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    fig, axes = style.plt.subplots(2, 2, figsize=(12, 7.5))
    for column, (family, pair) in enumerate(FAMILIES.items()):
        names = [LABELS[o] for o in pair]
        lr_sweeps.sweep_plot(table[table["g"].isin(names)], "g", scale, "15",
                             "nGPT as proposed vs MD on top", ax=axes[0, column], label=str,
                             xlabel=f"{family} family: lr")
        ax = axes[1, column]
        for name in names:
            metrics = compared[name][0]["metrics"].sort_values("step")
            ax.plot(metrics["step"], metrics["loss"].rolling(5, min_periods=1).mean(),
                    label=f"{name}, best lr")
        ax.set(xlabel="step", ylabel="training loss (5-row mean)", title=f"{family} family")
        ax.legend(fontsize=8)
    measured = {"best_loss": {g: float(v) for g, v in best.items()}, "at_edge": edge, **learned}
    return style.finish(fig, f"kosson2026-figure-15_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
