"""One optimizer against its corrected variant over a run: the comparison behind Defazio
Figs. 4–5 (AdamW/AdamC, SGD/SGDC) and Chou Figs. 1 and 4 (AdamW/Renormalized AdamW,
Scion/ScionC). Each side is drawn at its best setting, averaged over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .load import load_runs
from .style import verdict

# Claim threshold fixed from the papers' wording ("the weight norm falls"), before our runs:
# over the second half of a cosine run the baseline's corrected-layer ‖w‖ falls > 15 %.
BASELINE_NORM_DROP = 0.15


def norms_over_time(layers: pd.DataFrame) -> pd.DataFrame:
    """Per logged step: ‖g‖ over all tensors, ‖w‖ over the normalized (corrected) layers."""
    squares = layers.assign(g2=layers["grad_norm"] ** 2, w2=layers["weight_norm"] ** 2)
    grad = np.sqrt(squares.groupby("step")["g2"].sum())
    weight = np.sqrt(squares[squares["normalized"]].groupby("step")["w2"].sum())
    return pd.DataFrame({"grad_norm": grad, "weight_norm": weight})


def _best_per_optimizer(runs: list[dict]) -> dict[str, list[dict]]:
    """The paper plots each optimizer at its best hyperparameters, averaged over seeds: group
    runs by config minus seed, keep the group with the lowest mean final eval (else train)
    loss per optimizer."""
    def final(run):  # the last row holds the final eval; diverged (NaN) = infinitely bad
        m = run["metrics"]
        column = "eval_loss" if m["eval_loss"].notna().any() else "loss"
        return np.nan_to_num(m[column].iloc[-1], nan=np.inf)
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        key = tuple(sorted((k, str(v)) for k, v in run["config"].items()
                           if k not in ("seed", "run_id")))
        groups.setdefault(key, []).append(run)
    best: dict[str, list[dict]] = {}
    for group in groups.values():
        name = group[0]["config"]["optimizer"]
        score = np.mean([final(r) for r in group])
        if name not in best or score < np.mean([final(r) for r in best[name]]):
            best[name] = group
    return best


def _seed_mean(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames).groupby(level=0).mean()


def _change(series: pd.Series, start: float, stop: float) -> float:
    """Relative change of a series between two fractions of the run (window means)."""
    last = series.index.max()
    a = series[(series.index >= start * last) & (series.index <= (start + 0.05) * last)].mean()
    b = series[series.index >= (stop - 0.05) * last].mean()
    return float(b / a - 1)


def corrected_vs_baseline(paper: str, figure: str, sweep_file, scale: str, results, out_dir,
                          baseline: str, corrected: str) -> dict:
    """A baseline optimizer vs its corrected variant (Defazio Figs. 4–5, Chou Figs. 1, 4):
    loss, gradient norm and weight norm over training, each at its best setting,
    seed-averaged, with the shared claims: the baseline's weight norm falls over the second
    half, the corrected one's falls less than half as much, its gradient norm rises less,
    and its loss is no worse."""
    best = _best_per_optimizer(load_runs(sweep_file, scale, results))
    missing = {baseline, corrected} - set(best)
    if missing:
        raise ValueError(f"figure {figure} needs {baseline} and {corrected} runs; "
                         f"missing {sorted(missing)}")
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 4))
    changes, finals = {}, {}
    for name, color in ((baseline, "#1f77b4"), (corrected, "#d62728")):
        group = best[name]
        metrics = _seed_mean([r["metrics"].set_index("step") for r in group])
        norms = _seed_mean([norms_over_time(r["layers"]) for r in group])
        span = max(len(metrics) // 50, 1)
        label = f"{name.upper()} (lr {group[0]['config']['lr']}, {len(group)} seed(s))"
        axes[0].plot(metrics.index, metrics["loss"].ewm(span=span).mean(), color=color,
                     label=label)
        axes[1].plot(norms.index, norms["grad_norm"].ewm(span=span).mean(), color=color)
        axes[2].plot(norms.index, norms["weight_norm"], color=color)
        changes[name] = {"weight": _change(norms["weight_norm"], 0.5, 1.0),
                         "grad": _change(norms["grad_norm"].ewm(span=span).mean(), 0.5, 1.0)}
        finals[name] = float(metrics["loss"].iloc[-max(len(metrics) // 20, 1):].mean())
    for ax, what in zip(axes, ("train loss (EMA)", "‖g‖ (EMA)", "‖w‖ of corrected layers")):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend()
    axes[1].set_yscale("log")
    b, c = baseline.upper(), corrected.upper()
    drop_b, drop_c = -changes[baseline]["weight"], -changes[corrected]["weight"]
    shown = {"baseline_weight_norm_falls": drop_b > BASELINE_NORM_DROP,
             "corrected_keeps_weight_norm": drop_c < drop_b / 2,
             "corrected_tames_grad_norm":
                 changes[corrected]["grad"] < changes[baseline]["grad"],
             "corrected_loss_not_worse": finals[corrected] <= finals[baseline]}
    verdicts = [
        verdict(shown["baseline_weight_norm_falls"], f"{b} ‖w‖ 2nd half: {-drop_b:+.0%} "
                f"(falls > {BASELINE_NORM_DROP:.0%})"),
        verdict(shown["corrected_keeps_weight_norm"], f"{c} ‖w‖ 2nd half: {-drop_c:+.0%} "
                f"(falls < half of {b}'s)"),
        verdict(shown["corrected_tames_grad_norm"], f"‖g‖ 2nd half: {b} "
                f"{changes[baseline]['grad']:+.0%}, {c} {changes[corrected]['grad']:+.0%}"),
        verdict(shown["corrected_loss_not_worse"], f"final train loss: {b} "
                f"{finals[baseline]:.4f}, {c} {finals[corrected]:.4f}"),
    ]
    cfg = best[baseline][0]["config"]
    fig.suptitle(style.title(paper, figure, scale, f"{b} vs {c}, {cfg['model']}-{cfg['depth']}"
                             f"×{cfg['width']} on {cfg['dataset']}, λ {cfg['weight_decay']}"),
                 fontsize=10)
    fig.text(0.01, -0.12, "\n".join(verdicts), fontsize=8, family="monospace", va="top")
    stem = paper.split()[0].lower() + paper.split()[-1]  # "Chou et al. 2025" -> chou2025
    paths = style.save(fig, out_dir, f"{stem}_fig{figure}_{scale}")
    claims = {k: {"shown": bool(v)} for k, v in shown.items()}
    claims["measured"] = {"changes_second_half": changes, "final_train_loss": finals}
    return {"claims": claims, "verdicts": verdicts, "files": [str(p) for p in paths]}
