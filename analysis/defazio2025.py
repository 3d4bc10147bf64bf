"""Defazio et al. 2025, "Why gradients rapidly increase near the end of training".

Figures 2 and 3: per normalized layer, the gradient-to-weight ratio ‖g‖/‖w‖ over training with
the steady state √(2λ/γ_eff,t) of eq. (2) overlaid, and the checks of what each figure claims.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .compare import _best_per_optimizer, _seed_mean, corrected_vs_baseline, norms_over_time
from .load import load_runs
from .style import verdict
from .theory import steady_state_ratio

PAPER = "Defazio et al. 2025"
# Acceptance thresholds for the claims (the issue's, not the paper's constants).
FIG2_TOLERANCE = 0.15  # median |measured/theory − 1| over the last 30 %
FIG3_TRACKING_TOLERANCE = 0.25  # median |measured/theory − 1| while the ratio tracks theory
FIG3_BLOWUP_FACTOR = 1.5  # ratio at the end vs mid-run


def normalized_wide(layers: pd.DataFrame, column: str) -> pd.DataFrame:
    """step × layer table of one column, normalized layers only, in model order."""
    sub = layers[layers["normalized"]]
    order = list(dict.fromkeys(sub["layer"]))
    return sub.pivot(index="step", columns="layer", values=column)[order]


def smoothed_ratio(layers: pd.DataFrame, span: int) -> pd.DataFrame:
    """√EMA(‖g‖²) / ‖w‖: the paper smooths gradient norms with an EMA; squares keep it an RMS."""
    grad_sq = normalized_wide(layers, "grad_norm") ** 2
    return np.sqrt(grad_sq.ewm(span=span).mean()) / normalized_wide(layers, "weight_norm")


def theory_curve(metrics: pd.DataFrame, cfg: dict) -> pd.Series:
    """√(2λ/γ_eff,t) at each logged step, from the logged lr and the configured λ, β."""
    values = steady_state_ratio(metrics["lr"], cfg["weight_decay"], cfg["momentum"])
    return pd.Series(values, index=metrics["step"].to_numpy())


def window_deviation(layers, metrics, cfg, start: float, stop: float) -> pd.Series:
    """Per layer |measured/theory − 1| over a fraction of the run, measured as
    RMS ‖g‖ / mean ‖w‖ against the mean of the theory over the same steps."""
    steps = metrics["step"]
    last = steps.max()
    in_window = steps[(steps >= start * last) & (steps <= stop * last)]
    grads = normalized_wide(layers, "grad_norm").loc[in_window]
    weights = normalized_wide(layers, "weight_norm").loc[in_window]
    theory = theory_curve(metrics, cfg).loc[in_window]
    measured = np.sqrt((grads**2).mean()) / weights.mean()
    return (measured / theory.mean() - 1).abs()


def _draw(run: dict, scale: str, figure: str, what: str, verdicts: list[str], out_dir):
    cfg, metrics, layers = run["config"], run["metrics"], run["layers"]
    span = max(len(metrics) // 50, 1)
    ratios = smoothed_ratio(layers, span)
    theory = theory_curve(metrics, cfg)
    fig, ax = style.plt.subplots(figsize=(7, 4.5))
    colors = style.plt.cm.viridis(np.linspace(0, 0.9, ratios.shape[1]))
    for color, layer in zip(colors, ratios.columns):
        ax.plot(ratios.index, ratios[layer], color=color, lw=0.8, alpha=0.8)
    finite = theory[np.isfinite(theory)]
    ax.plot(finite.index, finite, color=style.THEORY_COLOR, lw=2, ls="--",
            label=r"theory $\sqrt{2\lambda/\gamma_{\mathrm{eff},t}}$")
    ax.set_yscale("log")
    low, high = np.nanmin(ratios.to_numpy()), np.nanmax(ratios.to_numpy())
    ax.set_ylim(low / 2, max(high, finite.iloc[len(finite) // 2]) * 3)
    ax.set_xlabel("step")
    ax.set_ylabel(r"$\|g\|/\|w\|$ (EMA-smoothed), one line per normalized layer")
    ax.legend(loc="upper left")
    ax.set_title(style.title(PAPER, figure, scale, what), fontsize=10)
    data = cfg["dataset"] + (f" + {cfg['augment']}" if cfg.get("augment", "none") != "none"
                             else "")
    data += f" + label noise {cfg['label_noise']}" if cfg.get("label_noise") else ""
    ax.text(0.01, -0.2, f"{cfg['model']}-{cfg['depth']} w{cfg['width']} on {data}, batch "
            f"{cfg['batch_size']}; {cfg['optimizer']} lr {cfg['lr']} β {cfg['momentum']} "
            f"λ {cfg['weight_decay']}, {cfg['schedule']}\n" + "\n".join(verdicts),
            transform=ax.transAxes, fontsize=7, va="top", family="monospace")
    return style.save(fig, out_dir, f"defazio2025_fig{figure}_{scale}")


def figure2(sweep_file, scale: str, results, out_dir) -> dict:
    """Constant LR: ratios converge to √(2λ/γ)."""
    run = load_runs(sweep_file, scale, results)[0]
    deviation = window_deviation(run["layers"], run["metrics"], run["config"], 0.7, 1.0)
    median = float(deviation.median())
    claims = {"converges_to_theory": {
        "shown": median < FIG2_TOLERANCE, "median_deviation_last_30pct": median,
        "max_deviation_last_30pct": float(deviation.max()), "tolerance": FIG2_TOLERANCE}}
    verdicts = [verdict(median < FIG2_TOLERANCE, f"converges: median |ratio/theory-1| over last "
                         f"30% = {median:.3f} (< {FIG2_TOLERANCE})")]
    paths = _draw(run, scale, "2", "‖g‖/‖w‖ converges under a constant LR", verdicts, out_dir)
    return {"claims": claims, "verdicts": verdicts, "files": [str(p) for p in paths]}


def figure3(sweep_file, scale: str, results, out_dir) -> dict:
    """Cosine + warmup: burn-in, tracking of the moving steady state, tail blow-up."""
    run = load_runs(sweep_file, scale, results)[0]
    layers, metrics, cfg = run["layers"], run["metrics"], run["config"]
    early = float(window_deviation(layers, metrics, cfg, 0.0, 0.05).median())
    tracking = float(window_deviation(layers, metrics, cfg, 0.2, 0.7).median())
    ratios = smoothed_ratio(layers, max(len(metrics) // 50, 1)).median(axis=1)
    last = ratios.index.max()
    mid = float(ratios[(ratios.index >= 0.45 * last) & (ratios.index <= 0.55 * last)].mean())
    end = float(ratios[ratios.index >= 0.98 * last].mean())
    blowup = end / mid
    shown = {"burn_in": early > 2 * tracking, "tracking": tracking < FIG3_TRACKING_TOLERANCE,
             "tail_blowup": blowup > FIG3_BLOWUP_FACTOR}
    claims = {
        "burn_in": {"shown": shown["burn_in"], "median_deviation_first_5pct": early},
        "tracking": {"shown": shown["tracking"], "median_deviation_20_to_70pct": tracking,
                     "tolerance": FIG3_TRACKING_TOLERANCE},
        "tail_blowup": {"shown": shown["tail_blowup"], "ratio_end_over_mid": blowup,
                        "threshold": FIG3_BLOWUP_FACTOR},
    }
    verdicts = [
        verdict(shown["burn_in"], f"burn-in: first 5% deviates {early:.2f} (> 2x tracking)"),
        verdict(shown["tracking"], f"tracking: median |ratio/theory-1| 20-70% = {tracking:.3f}"
                 f" (< {FIG3_TRACKING_TOLERANCE})"),
        verdict(shown["tail_blowup"], f"tail blow-up: ratio end/mid = {blowup:.2f} "
                 f"(> {FIG3_BLOWUP_FACTOR})"),
    ]
    paths = _draw(run, scale, "3", "‖g‖/‖w‖ tracks the schedule, then blows up", verdicts,
                  out_dir)
    return {"claims": claims, "verdicts": verdicts, "files": [str(p) for p in paths]}


def figure4(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs AdamC on a Llama-style LM (Fig. 4), plus §4.2's ‖x‖_∞ balance on the same runs."""
    runs = load_runs(sweep_file, scale, results)  # read once, drawn twice
    report = corrected_vs_baseline(PAPER, "4", sweep_file, scale, results, out_dir, "adamw",
                                   "adamc", runs=runs)
    best = _best_per_optimizer(runs)
    extra = infinity_norms(best, scale, out_dir)
    if extra is None:  # said, not silently dropped: the report shows it was not measured
        report["verdicts"].append("NOT MEASURED  §4.2 ‖x‖_∞ ≈ √(γ/2λ): these runs predate the "
                                  "weight_max_abs column; re-run them with --force")
        return report
    measured = {**report["claims"].pop("measured"), **extra["claims"].pop("measured")}
    return {"claims": {**report["claims"], **extra["claims"], "measured": measured},
            "verdicts": report["verdicts"] + extra["verdicts"],
            "files": report["files"] + extra["files"]}


# §4.2 derives ‖x‖_∞ ≈ √(γ/2λ) from a Hölder upper bound and calls it non-rigorous: the check
# asks for the right size (median over layers within 2× of it) while γ is high (25–75 %).
INF_NORM_FACTOR = 2.0
INF_NORM_WINDOW = (0.25, 0.75)


def infinity_norms(best: dict[str, list[dict]], scale: str, out_dir):
    """Per normalized layer ‖x‖_∞ over training against √(γ_t/2λ_t) from the logged γ_t, λ_t
    (AdamC's λ_t ∝ γ_t makes it flat). None for runs logged before `weight_max_abs` existed."""
    if any(r["layers"].get("weight_max_abs") is None
           or r["layers"]["weight_max_abs"].isna().all() for g in best.values() for r in g):
        return None
    fig, axes = style.plt.subplots(1, len(best), figsize=(6.5 * len(best), 4), squeeze=False)
    shown, verdicts, medians = {}, [], {}
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
        ratio = float((inf[window].mean() / theory[window].mean()).median())
        medians[name] = ratio
        key = f"{name}_inf_norm_near_sqrt_lr_over_2wd"
        shown[key] = 1 / INF_NORM_FACTOR <= ratio <= INF_NORM_FACTOR
        verdicts.append(verdict(shown[key], f"{name.upper()} median ‖x‖_∞ / √(γ/2λ) over "
                                f"{INF_NORM_WINDOW[0]:.0%}–{INF_NORM_WINDOW[1]:.0%} = "
                                f"{ratio:.2f} (within {INF_NORM_FACTOR:g}×)"))
    fig.suptitle(style.title(PAPER, "4 (§4.2)", scale, "AdamW balances layers' ‖x‖_∞"),
                 fontsize=10)
    return style.finish(fig, f"defazio2025_fig4_inf_norm_{scale}", verdicts, shown,
                        {"inf_norm_over_theory": medians}, out_dir)


def figure5(sweep_file, scale: str, results, out_dir) -> dict:
    """SGD vs SGDC on a ResNet (Fig. 5)."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "sgd", "sgdc")


UPTICK_FACTOR = 1.5  # "the gradient norm more than doubles": ≥ 1.5× its post-burn-in minimum


def figure1(sweep_file, scale: str, results, out_dir) -> dict:
    """The gradient-norm uptick of AdamW + cosine (Fig. 1), from Fig. 4's runs: the smoothed
    ‖g‖ at the end against its minimum after burn-in (10 % of the run); AdamC beside it."""
    best = _best_per_optimizer(load_runs(sweep_file, scale, results))
    if "adamw" not in best:
        raise ValueError(f"figure 1 needs adamw runs in {sweep_file}")
    fig, ax = style.plt.subplots(figsize=(6.5, 4.2))
    uptick = {}
    for name, color in (("adamw", "#1f77b4"), ("adamc", "#d62728")):
        if name not in best:
            continue
        grad = _seed_mean([norms_over_time(r["layers"]) for r in best[name]])["grad_norm"]
        smooth = grad.ewm(span=max(len(grad) // 50, 1)).mean()
        after_burn_in = smooth[smooth.index >= 0.1 * smooth.index.max()]
        end = smooth[smooth.index >= 0.97 * smooth.index.max()].mean()
        uptick[name] = float(end / after_burn_in.min())
        ax.plot(smooth.index, smooth, color=color, label=f"{name.upper()}: end/min "
                f"{uptick[name]:.2f}×")
    ax.set_xlabel("step")
    ax.set_ylabel("‖g‖ (EMA)")
    ax.legend()
    shown = {"adamw_grad_norm_rises_at_the_end": uptick["adamw"] >= UPTICK_FACTOR}
    verdicts = [verdict(shown["adamw_grad_norm_rises_at_the_end"],
                        f"AdamW smoothed ‖g‖ end / post-burn-in min = {uptick['adamw']:.2f}× "
                        f"(≥ {UPTICK_FACTOR})")]
    if "adamc" in uptick:
        shown["adamc_rises_less"] = uptick["adamc"] < uptick["adamw"]
        verdicts.append(verdict(shown["adamc_rises_less"], f"AdamC: {uptick['adamc']:.2f}× "
                                f"(< AdamW's {uptick['adamw']:.2f}×)"))
    fig.suptitle(style.title(PAPER, "1", scale, "gradient norm near the end of training"),
                 fontsize=10)
    return style.finish(fig, f"defazio2025_fig1_{scale}", verdicts, shown,
                        {"end_over_min": uptick}, out_dir, text_y=-0.04)
