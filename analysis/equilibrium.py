"""Norms at equilibrium: per-layer gradient-to-weight ratios against √(2λ/γ_eff,t) (Defazio
Figs. 1–3), weight / gradient norms over training, summed NaN-aware over tensors, and the
steady-state premise of the claims that are about equilibrium (Chou Figs. 2, 3, 7–12).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis import style
from analysis.theory import scion_theory, steady_state_ratio

PAPER = "Defazio et al. 2025"

# Premise of the papers' equilibrium claims, fixed before the runs: ‖w‖ reached its steady
# state before the stretch a claim is judged on. In the pure-noise simulation (App. A, whose
# updates are independent of the weights as the closed form assumes) ‖w‖ is within STEADY of
# it over NEAR_PEAK (steady_gap). In trained networks the radial part of the update moves the
# level off Chou's Eq. 4 (§1.1; measured on the mini ViT: AdamW and Renormalized AdamW end at
# one norm), so there the premise is stationarity: ‖w‖ over its closed-form equilibrium (which
# takes out the drift the schedule itself causes), or ‖w‖ itself where there is none, changes
# by less than STEADY across SETTLING (a norm still relaxing from its init moves most there);
# the level against Eq. 4 is reported beside it (steady_drift).
STEADY = 0.2
NEAR_PEAK = (0.2, 0.3)  # after warmup (≤ 10 % of the run), the cosine still ≥ 0.8 of its peak
SETTLING = (0.1, 0.5)  # from the end of warmup to mid-run


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


def draw_ratios(run: dict, scale: str, figure: str, what: str, verdicts: list[str], out_dir):
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
    return style.save(fig, out_dir, f"defazio2025-figure-{figure}_{scale}")


def norm_parts(layers: pd.DataFrame) -> pd.DataFrame:
    """Per step: norms_over_time's ‖g‖ and hidden ‖w‖, plus ‖w‖ of the output layer (the one
    linear that is not normalized in a pre-norm transformer), of the vectors (gains, biases)
    and of everything."""
    out = norms_over_time(layers).rename(columns={"weight_norm": "hidden"})
    w2 = layers.assign(w2=layers["weight_norm"] ** 2)
    parts = {"output": (w2["kind"] == "linear") & ~w2["normalized"],
             "vectors": w2["kind"].isin(["norm", "bias"]), "total": w2["kind"].notna()}
    for name, mask in parts.items():
        out[name] = np.sqrt(nan_sum(w2[mask], "w2"))
    return out


def norms_over_time(layers: pd.DataFrame) -> pd.DataFrame:
    """Per logged step: ‖g‖ over all tensors, ‖w‖ over the normalized (corrected) layers."""
    squares = layers.assign(g2=layers["grad_norm"] ** 2, w2=layers["weight_norm"] ** 2)
    grad = np.sqrt(nan_sum(squares, "g2"))
    weight = np.sqrt(nan_sum(squares[squares["normalized"]], "w2"))
    return pd.DataFrame({"grad_norm": grad, "weight_norm": weight})


def nan_sum(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per-step sum of `column`, NaN where any tensor's value is NaN: a diverged layer must
    not count as 0 (groupby's sum skips NaN)."""
    by_step = frame.groupby("step")[column]
    return by_step.sum().mask(frame[column].isna().groupby(frame["step"]).any())


def steady_gap(norm: pd.Series, theory: pd.Series | None = None) -> float:
    """How far a ‖w‖ curve (indexed by step) is from steady state: against `theory` (its
    closed-form equilibrium per step), |mean ‖w‖ / mean theory − 1| over NEAR_PEAK of the
    run; without one, |relative change| between the 5 % windows that open and close
    SETTLING. inf where a value there is not finite (a diverged run is at no steady state)."""
    last = norm.index.max()

    def part(lo: float, hi: float) -> pd.Series:
        return norm[(norm.index >= lo * last) & (norm.index <= hi * last)]
    if theory is not None:
        measured = part(*NEAR_PEAK)
        parts = (measured, theory.reindex(measured.index))
    else:
        parts = (part(SETTLING[1] - 0.05, SETTLING[1]), part(SETTLING[0], SETTLING[0] + 0.05))
    if not all(len(p) for p in parts) or not style.all_finite(*parts):
        return float("inf")
    return float(abs(parts[0].mean() / parts[1].mean() - 1))


def steady_drift(norm: pd.Series, theory: pd.Series | None = None) -> float:
    """|relative change| of ‖w‖ (over `theory`, its closed-form equilibrium per step, where
    there is one) between the 5 % windows that open and close SETTLING; inf where not finite."""
    ratio = norm if theory is None else norm / theory.reindex(norm.index)
    return steady_gap(ratio.dropna() if theory is not None else ratio)


def steady_premise(groups: dict[str, list[dict]], theory=scion_theory) -> tuple[bool, str, dict]:
    """The steady-state premise over named groups of seeds (lists of runs): (met, its verdict
    line, {name: the worst seed's steady_drift}) for the hidden ‖w‖ (norms_over_time), with
    `theory(run, metrics by step)` (a ‖w‖ per step, or None: no closed form) taken out."""
    gaps, closed = {}, {}
    for name, group in groups.items():
        worst = 0.0
        for run in group:
            predicted = theory(run, run["metrics"].set_index("step"))
            closed[name] = predicted is not None
            worst = max(worst, steady_drift(norms_over_time(run["layers"])["weight_norm"],
                                            predicted))
        gaps[name] = worst
    window = f"{SETTLING[0]:.0%}–{SETTLING[1]:.0%}"
    eq = f"‖w‖ / its Chou Eq. 4 equilibrium changes over {window}"
    change = f"‖w‖ changes over {window}"
    mixed = any(closed.values()) and not all(closed.values())
    what = eq if all(closed.values()) else f"{eq} (*), else {change}" if mixed else change
    met, line = below_all({k + ("*" if mixed and closed[k] else ""): v for k, v in gaps.items()},
                          STEADY, f"steady state before the decay, {what} of the run", "{:.0%}")
    return met, line, gaps


def below_all(values: dict, limit: float, what: str, fmt: str = "{:.2f}") -> tuple[bool, str]:
    """A premise that every value is below `limit` (False on none, or on NaN): (met, its
    verdict line listing them)."""
    met = bool(values) and all(v < limit for v in values.values())
    # a value that prints as the limit gets one more digit, so the line shows which side it is
    finer = re.sub(r"\.(\d)", lambda m: f".{int(m.group(1)) + 1}", fmt, count=1)
    listed = ", ".join(f"{k} {(finer if fmt.format(v) == fmt.format(limit) else fmt).format(v)}"
                       for k, v in values.items())
    return met, style.premise(met, f"{what}: {listed} (< {fmt.format(limit)})")


def momentum_push(beta: float) -> float:
    """radial_push at a steady state with gradients independent of the weights, for momentum
    β: 2β/(1+β), the share of the decay's pull that the momentum's correlation of successive
    updates offsets. Exact for an update linear in an EMA of the gradients (tested); Chou §2.2
    derives the same (2−α)/α factor (‖w‖² = (2−α)/α·γ‖u‖²/2λ, α = 1 − β) for Scion's
    normalized updates and App. B for Adam's β1. 0 without momentum."""
    return 2 * beta / (1 + beta)


def radial_push(layers: pd.DataFrame, metrics: pd.DataFrame, start: float, stop: float) -> float:
    """How hard the update pushes the normalized layers' ‖w‖ outward, as a share of the
    decay's pull, over [start, stop] of the run: −Σ γ⟨θ, u⟩ / Σ γλ‖θ‖² for a step
    θ ← θ − γλθ − γu. At a steady state whose gradients are independent of the weights (Chou
    §2.2's premise) it is momentum_push(β): θ holds the recent updates, which the momentum
    correlates with the current one. Above 1 the update pushes harder than the decay pulls:
    ‖w‖ grows. From the logs: ‖θ‖ before each logged step and that step's whole change ‖Δθ‖,
    decay included. Between logs k steps apart the mean
    ⟨θ, Δθ⟩ per step is (k‖Δθ‖² − (‖θ_b‖² − ‖θ_a‖²)) / 2k, taking ‖Δθ‖ as constant over the
    interval; Δθ = γλθ + γu then gives γ⟨θ, u⟩. It is an accounting of the logged norms:
    1 + (‖θ_end‖² − ‖θ_start‖² − Σ‖Δθ‖²) / 2Σγλ‖θ‖², i.e. a steady ‖w‖ reads 1 − Σ‖Δθ‖²/2Σγλ‖θ‖²
    (momentum_push(β) at Chou's equilibrium). γ and λ are the logged ones (the normalized
    layers' group; decoupled decay only). NaN without the columns or any interval."""
    if "update_norm" not in layers or not {"lr", "weight_decay"} <= set(metrics):
        return float("nan")
    lr = metrics.set_index("step")[["lr", "weight_decay"]]
    last, push, pull = lr.index.max(), 0.0, 0.0
    for _, layer in layers[layers["normalized"]].groupby("layer"):
        layer = layer.sort_values("step")
        steps = layer["step"].to_numpy()
        keep = (steps[:-1] >= start * last) & (steps[:-1] <= stop * last)  # interval starts
        a, k = steps[:-1][keep], np.diff(steps)[keep]
        w2 = layer["weight_norm"].to_numpy() ** 2
        w2a, w2b = w2[:-1][keep], w2[1:][keep]
        d2 = layer["update_norm"].to_numpy()[:-1][keep] ** 2
        along = (k * d2 - (w2b - w2a)) / (2 * k)  # mean ⟨θ, Δθ⟩ per step
        decay = (lr["lr"] * lr["weight_decay"]).reindex(a).to_numpy() * w2a
        push -= float(np.sum(k * (along - decay)))
        pull += float(np.sum(k * decay))
    return push / pull if pull > 0 else float("nan")
