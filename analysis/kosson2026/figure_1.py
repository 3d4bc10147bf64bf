"""Kosson et al. 2026, Figure 1 (left): per base optimizer (Adam, Muon), the tuned baseline, its
weights on a sphere and full MD: the sphere beats the baseline's best loss, gains beat the
sphere, so MD beats the well-tuned baseline.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import ResultsError, load_runs
from analysis.style import all_finite, verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 1: “Magnitude–Direction (MD) Decoupling improves on "
         "well-tuned Adam and Muon … (Left) Learning-rate sweep on a dense model: independently "
         "of the base optimizer, fixing the weights onto a sphere improves the optimal loss, and "
         "adding learnable …” / shared/specs/md_decoupling.md: “Fixing weights on a sphere beats "
         "the base optimizer at its best LR; adding gains beats sphere-only”")
NOT_REPRODUCED = ("the centre panel (MoE loss across compute: Figure 11 compares the optimizers "
                  "on one MoE, no scaling law) and the right panel (width transfer: Figure 7 "
                  "sweeps MuonMD across widths)")

# base optimizer -> (baseline, its MD optimizer)
BASES = {"Adam": ("adamw", "adammd"), "Muon": ("muon", "muonmd")}
WAYS = ("tuned", "sphere", "MD")  # the three curves per base, in the caption's order


def way(config: dict) -> tuple[str, str]:
    """(base, way) of a run: the plain optimizer, MD with gains none, or MD with gains."""
    for base, (plain, md) in BASES.items():
        if config["optimizer"] == plain:
            return base, "tuned"
        if config["optimizer"] == md:
            return base, "sphere" if config["gains"] == "none" else "MD"
    raise ResultsError(f"figure 1 has no place for optimizer {config['optimizer']}")


NAMES = {"adamw": "AdamW", "adammd": "AdamMD", "muon": "Muon", "muonmd": "MuonMD"}


def label(group: tuple[str, str]) -> str:
    base, how = group
    plain, md = (NAMES[o] for o in BASES[base])
    return {"tuned": f"{plain} (λ, warmup)", "sphere": f"{base} on the sphere",
            "MD": f"{md} (sphere + gains)"}[how]


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Per base optimizer: tuned baseline vs sphere vs MD, each at its best lr."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))

    def group_of(config):
        return label(way(config))
    table = lr_sweeps.sweep_table(runs, group_of)
    best = table.groupby("g")["loss"].min()
    missing = [label((b, w)) for b in BASES for w in WAYS if label((b, w)) not in best]
    if missing:
        raise ResultsError(f"{sweep_file}: figure 1 needs runs for {', '.join(missing)}")
    compared = lr_sweeps.best_runs(runs, table, "g", group_of)
    premises, verdicts, learned = lr_sweeps.learns_premise(compared)
    # Each comparison needs trained runs on both sides (inf < inf is False: fails)
    pairs = {"sphere_beats_tuned_baseline": ("sphere", "tuned"),
             "gains_beat_sphere_only": ("MD", "sphere"),
             "md_beats_tuned_baseline": ("MD", "tuned")}
    shown = {}
    for claim, (lo, hi) in pairs.items():
        sides = {b: (label((b, lo)), label((b, hi))) for b in BASES}
        wins = {b: all_finite(best[a], best[c]) and best[a] < best[c] for b, (a, c) in
                sides.items()}
        shown[claim] = all(wins.values())
        verdicts.append(verdict(shown[claim], "best held-out loss " + "; ".join(
            f"{a} {best[a]:.4f} vs {c} {best[c]:.4f}" for a, c in sides.values())))
        if not shown[claim]:
            verdicts.append(style.cause("; ".join(lr_sweeps.gap_against_seeds(
                f"{a} vs {c}", compared[a], compared[c]) for b, (a, c) in sides.items()
                if not wins[b])))
    edge = lr_sweeps.edge_optima(table, "g")[1]
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside its lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    fig, axes = style.plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, base in zip(axes, BASES):
        mine = table[table["g"].isin([label((base, w)) for w in WAYS])]
        lr_sweeps.sweep_plot(mine, "g", scale, "1", "dense lr sweeps: tuned baseline, sphere, "
                             "MD", ax=ax, label=str, xlabel=f"{base}: lr ({NAMES[BASES[base][0]]}"
                             ": absolute step; MD: relative)")
    measured = {"best_loss": {g: float(v) for g, v in best.items()}, "at_edge": edge,
                **learned}
    return style.finish(fig, f"kosson2026-figure-1_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
