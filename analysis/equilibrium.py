"""Norms at equilibrium: per-layer gradient-to-weight ratios against √(2λ/γ_eff,t) (Defazio
Figs. 1–3) and weight / gradient norms over training, summed NaN-aware over tensors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.theory import steady_state_ratio

PAPER = "Defazio et al. 2025"


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
