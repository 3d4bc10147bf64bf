"""Defazio et al. 2025, Figure 4: AdamW vs AdamC on a Llama-style LM (Fig. 4), plus §4.2's ‖x‖_∞
balance on the same runs.
"""

from __future__ import annotations

import numpy as np

from analysis import style
from analysis.corrected import corrected_vs_baseline
from analysis.equilibrium import normalized_wide
from analysis.load import load_runs
from analysis.seeds import best_per_optimizer
from analysis.style import verdict

PAPER = "Defazio et al. 2025"
QUOTE = ("§6 (Fig. 4): “The AdamC correction results in a significant change to the shape of the "
         "loss curve, resulting in notably lower loss values. The correction largely removes the "
         "increase in the gradient norm during the second half of training. The effect of the "
         "correction on the weight norms is particularly clear; AdamW results in rapidly "
         "decreasing weight norm whereas AdamC is far more stable.” / §4.2: “So AdamW can be "
         "interpreted as balancing the layer-wise infinity norms of the weights”")

# §4.2: "AdamW can be interpreted as balancing the layer-wise infinity norms of the weights",
# each near √(γ/2λ), from a Hölder upper bound it calls non-rigorous. The claim is the
# balance: AdamW's layers' ‖x‖_∞ (means over 25–75 %, while γ is high) within INF_BALANCE of
# each other, i.e. within the same 2× each way of one value. Their size against √(γ/2λ), and
# AdamC's layers, are measured and reported, not judged.
INF_NORM_FACTOR = 2.0
INF_BALANCE = INF_NORM_FACTOR**2

INF_NORM_WINDOW = (0.25, 0.75)


def infinity_norms(best: dict[str, list[dict]], scale: str, out_dir):
    """Per normalized layer ‖x‖_∞ over training against √(γ_t/2λ_t) from the logged γ_t, λ_t
    (AdamC's λ_t ∝ γ_t makes it flat). None for runs logged before `weight_max_abs` existed."""
    if any(r["layers"].get("weight_max_abs") is None
           or r["layers"]["weight_max_abs"].isna().all() for g in best.values() for r in g):
        return None
    fig, axes = style.plt.subplots(1, len(best), figsize=(6.5 * len(best), 4), squeeze=False)
    shown, verdicts, medians, spreads = {}, [], {}, {}
    for ax, (name, group) in zip(axes[0], sorted(best.items())):
        run = group[0]  # one seed: per-layer curves do not average meaningfully across seeds
        inf = normalized_wide(run["layers"], "weight_max_abs")
        m = run["metrics"].set_index("step")
        theory = np.sqrt(m["lr"] / (2 * m["weight_decay"])).reindex(inf.index)
        ax.plot(inf.index, inf, color="0.6", lw=0.6)
        ax.plot(theory.index, theory, color=style.THEORY_COLOR, lw=2, label="√(γ_t / 2λ_t)")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{name.upper()}: ‖x‖_∞ per normalized layer (grey)", fontsize=10)
        ax.legend(fontsize=8)
        last = inf.index.max()
        window = (inf.index >= INF_NORM_WINDOW[0] * last) & (inf.index <= INF_NORM_WINDOW[1] * last)
        per_layer = inf[window].mean()
        ratio = float((per_layer / theory[window].mean()).median())
        spread = float(per_layer.max() / per_layer.min())
        medians[name], spreads[name] = ratio, spread
        if name == "adamw":
            shown["adamw_balances_layer_inf_norms"] = spread <= INF_BALANCE
            verdicts.append(verdict(spread <= INF_BALANCE, f"AdamW layers' ‖x‖_∞ over "
                                    f"{INF_NORM_WINDOW[0]:.0%}–{INF_NORM_WINDOW[1]:.0%}: max/min"
                                    f" {spread:.2f} (≤ {INF_BALANCE:g})"))
        verdicts.append(f"MEASURED   {name.upper()} median ‖x‖_∞ / √(γ/2λ) = {ratio:.2f}, "
                        f"layers' max/min {spread:.2f}")
    fig.suptitle(style.title(PAPER, "4 (§4.2)", scale, "AdamW balances layers' ‖x‖_∞"),
                 fontsize=10)
    return style.finish(fig, f"defazio2025-figure-4_inf_norm_{scale}", verdicts, shown,
                        {"inf_norm_over_theory": medians, "inf_norm_spread": spreads}, out_dir)


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs AdamC on a Llama-style LM (Fig. 4), plus §4.2's ‖x‖_∞ balance on the same runs."""
    runs = load_runs(sweep_file, scale, results)  # read once, drawn twice
    report = corrected_vs_baseline(PAPER, "4", sweep_file, scale, results, out_dir, "adamw",
                                   "adamc", runs=runs)
    best = best_per_optimizer(runs)
    extra = infinity_norms(best, scale, out_dir)
    if extra is None:  # said, not silently dropped: the report shows it was not measured
        report["verdicts"].append("NOT MEASURED  §4.2 ‖x‖_∞ ≈ √(γ/2λ): these runs predate the "
                                  "weight_max_abs column; re-run them with --force")
        return report
    measured = {**report["claims"].pop("measured"), **extra["claims"].pop("measured")}
    return {"claims": {**report["claims"], **extra["claims"], "measured": measured},
            "verdicts": report["verdicts"] + extra["verdicts"],
            "files": report["files"] + extra["files"],
            "premises": report.get("premises", {})}  # the report judges the claims by them
