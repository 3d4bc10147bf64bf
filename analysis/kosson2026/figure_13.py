"""Kosson et al. 2026, Figure 13: Tuned AdamW and Muon across joint width-and-depth scaling, and
all three optimizers head to head at the largest size: MuonMD reaches the lowest optimum there.

The baselines' panels are "for reference": how far their optimal lr moves with size is
measured and drawn, not judged (the caption claims nothing of it).
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import load_runs

QUOTE = ("Kosson et al. 2026 (summary), Fig. 13: “For reference, the plain AdamW and Muon "
         "baselines under joint width-and-depth scaling, where at the largest model MuonMD "
         "reaches a lower optimum than both. … (Left) AdamW across joint width-and-depth "
         "scaling. (Center) The same sweep with Muon. (Right) A head-to-head sweep of all three "
         "optimizers at the largest joint-scaled model (646M).”")

LABELS = {"adamw": "AdamW (λ, warmup)", "muon": "Muon (λ, warmup)",
          "muonmd": "MuonMD (sphere + gains)"}
BASELINES = ("adamw", "muon")


def _size(config: dict) -> str:
    return f"{config['width']}×{config['depth']}"


def _parameters(config: dict) -> int:
    return config["width"] ** 2 * config["depth"]  # orders the sizes: the largest is last


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Each baseline's lr sweep per size (measured), then the three at the largest size."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    largest = max((r["config"] for r in runs), key=_parameters)
    at_largest = [r for r in runs if _size(r["config"]) == _size(largest)]
    found = lr_sweeps.compare_optimizers(sweep_file, at_largest, LABELS, "13", {
        f"muonmd_beats_tuned_{base}_at_the_largest": (LABELS["muonmd"], LABELS[base])
        for base in BASELINES})
    fig, axes = style.plt.subplots(1, 3, figsize=(18, 4.2))
    verdicts, measured = found["verdicts"], found["measured"]
    for ax, base in zip(axes, BASELINES):
        mine = [r for r in runs if r["config"]["optimizer"] == base]
        table = lr_sweeps.sweep_table(mine, _size)
        sizes = sorted(table["g"].unique(), key=lambda s: _parameters(
            dict(zip(("width", "depth"), map(int, s.split("×"))))))
        table = table.set_index("g").loc[sizes].reset_index()  # smallest size first
        best, shift = lr_sweeps.optimum_shift(table, "g")
        edge = lr_sweeps.edge_optima(table, "g")[1]
        verdicts.append(f"{'measured':9}  {LABELS[base]} best lr per size "
                        f"{ {s: best[s] for s in sizes} }: moves {shift} grid step(s)"
                        + (f"; on the grid's edge for {edge}" if edge else ""))
        measured[f"{base}_best_lr"], measured[f"{base}_shift"] = best, shift
        lr_sweeps.sweep_plot(table, "g", scale, "13", "AdamW and Muon across joint width and "
                             "depth; all three at the largest", ax=ax, label=str,
                             xlabel=f"{LABELS[base]} lr")
        ax.set_title(f"{LABELS[base]} across sizes (width × depth)", fontsize=9)
    lr_sweeps.sweep_plot(found["table"], "g", scale, "13", "AdamW and Muon across joint width "
                         "and depth; all three at the largest", ax=axes[2], label=str,
                         xlabel="lr (AdamW: absolute step; Muon, MuonMD: relative)")
    axes[2].set_title(f"head to head at {_size(largest)}", fontsize=9)
    return style.finish(fig, f"kosson2026-figure-13_{scale}", verdicts, found["shown"],
                        measured, out_dir, text_y=-0.02, premises=found["premises"])
