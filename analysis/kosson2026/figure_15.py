"""Kosson et al. 2026, Figure 15: nGPT trained as proposed (Adam or Muon, matrices renormalized
after each step) against MD Decoupling on top of nGPT; per family, MD's best loss beats nGPT's.
Top: final loss against lr; bottom: the training-loss curves of each curve's best run.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import load_runs

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


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Per family, MD on nGPT against nGPT as proposed, each at its best lr."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    found = lr_sweeps.compare_optimizers(sweep_file, runs, LABELS, "15", {
        f"{md}_on_ngpt_beats_ngpt_{plain}": (LABELS[md], LABELS[plain])
        for plain, md in FAMILIES.values()})
    table, compared = found["table"], found["compared"]
    fig, axes = style.plt.subplots(2, 2, figsize=(12, 7.5))
    for column, (family, pair) in enumerate(FAMILIES.items()):
        names = [LABELS[o] for o in pair]
        lr_sweeps.sweep_plot(table[table["g"].isin(names)], "g", scale, "15",
                             "nGPT as proposed vs MD on top", ax=axes[0, column], label=str,
                             xlabel=f"{family} family: lr (nGPT + {family}: "
                             f"{'absolute' if family == 'Adam' else 'relative'} step; MD: "
                             "relative)")
        ax = axes[1, column]
        for name in names:
            metrics = compared[name][0]["metrics"].sort_values("step")
            ax.plot(metrics["step"], metrics["loss"].rolling(5, min_periods=1).mean(),
                    label=f"{name}, best lr")
        ax.set(xlabel="step", ylabel=f"{family} family: training loss (5-row mean)")
        ax.legend(fontsize=8)
    fig.subplots_adjust(hspace=0.35)
    return style.finish(fig, f"kosson2026-figure-15_{scale}", found["verdicts"], found["shown"],
                        found["measured"], out_dir, text_y=-0.02, premises=found["premises"])
