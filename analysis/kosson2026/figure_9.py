"""Kosson et al. 2026, Figure 9: WSD vs linear decay on the sphere; the query's relative update
follows the lr.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis import style
from analysis.ablations import ablation_figure, need_groups
from analysis.style import all_finite, verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 9: “On the sphere, the relative weight update "
         "follows the learning-rate schedule directly, so the shape of the decay matters more "
         "than it does under weight decay.”")

TRACKING = 0.15    # Fig. 9 "follows the lr schedule directly": ‖ΔV‖/‖V‖ within 15 % of c·lr(t)

LR_FLOOR = 0.1     # Fig. 9: steps with lr ≥ 10 % of peak (a ratio of near-zeros says nothing)

SKIP_START = 0.05  # Fig. 9: the first 5 % left out (Muon's momentum buffer is still filling)


def query_layer(names) -> str:
    """The first block's attention query direction (our GPT fuses it: `attn.qkv`)."""
    found = sorted(n for n in names if ".attn.q" in n and n.endswith("weight.original"))
    if not found:
        raise ValueError("figure 9 needs an MD attention query direction (attn.q*…weight."
                         "original) in layers.parquet")
    return found[0]


def relative_update(run: dict) -> pd.DataFrame:
    """Per logged step: ‖ΔV‖/‖V‖ of the query direction and the scheduled lr."""
    layers = run["layers"]
    q = layers[layers["layer"] == query_layer(layers["layer"].unique())].set_index("step")
    ratio = (q["update_norm"] / q["weight_norm"]).rename("ratio")
    return pd.concat([ratio, run["metrics"].set_index("step")["lr"]], axis=1, join="inner")


def tracking(df: pd.DataFrame) -> tuple[float, float]:
    """(c, max |ratio / (c·lr) − 1|) over the steps the check uses; c = the median ratio/lr."""
    use = df[(df["lr"] >= LR_FLOOR * df["lr"].max()) & (df.index >= SKIP_START * df.index.max())]
    if not all_finite(use["ratio"]):  # median() and max() would skip a diverged step's NaN
        return math.nan, math.nan
    c = float((use["ratio"] / use["lr"]).median())
    return c, float((use["ratio"] / (c * use["lr"]) - 1).abs().max())


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """WSD vs linear decay on the sphere; the query's relative update follows the lr."""
    def compare(best_loss):
        need_groups(best_loss, ("wsd", "linear"), "9")
        gap = float(best_loss["linear"] - best_loss["wsd"])
        # "the shape of the decay matters more than under weight decay" needs a weight-decay
        # baseline we do not run: the gap is reported, not judged.
        return (None, True, f"best loss: WSD {best_loss['wsd']:.4f}, "
                f"linear {best_loss['linear']:.4f} (linear − WSD {gap:+.4f})",
                {"gap_linear_minus_wsd": gap})

    def panel(ax, runs, best):
        fits = {}
        for schedule, lr in best.items():
            run = next(r for r in runs if r["config"]["schedule"] == schedule
                       and r["config"]["lr"] == lr)
            df = relative_update(run)
            c, dev = tracking(df)
            fits[str(schedule)] = {"c": c, "max_deviation": dev}
            ax.plot(df.index, df["ratio"], label=f"{schedule} (lr {lr:g})")
            ax.plot(df.index, c * df["lr"], ":", color=style.THEORY_COLOR)
        ax.set_xlabel("step")
        ax.set_ylabel("‖ΔV‖/‖V‖ of the attention query (qkv)")
        ax.set_title("dotted: c·lr(t), c = median ratio/lr", fontsize=9)
        ax.legend(fontsize=8)
        # max() drops a NaN unless it comes first: a NaN deviation (a diverged run) fails
        devs = [f["max_deviation"] for f in fits.values()]
        ok = all_finite(devs, [f["c"] for f in fits.values()]) and max(devs) <= TRACKING
        listing = ", ".join(f"{s} c={f['c']:.3f} max dev {f['max_deviation']:.1%}"
                            for s, f in fits.items())
        return ({"relative_update_tracks_lr": ok},
                [verdict(ok, f"‖ΔV‖/‖V‖ vs c·lr(t): {listing} "
                         f"(≤ {TRACKING:.0%})")], {"tracking": fits})
    return ablation_figure(sweep_file, scale, results, out_dir, "schedule", "9",
                     "MD: WSD vs linear decay", compare, ("metrics", "layers"), panel)
