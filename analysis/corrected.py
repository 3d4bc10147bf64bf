"""One optimizer against its corrected variant over a run: the comparison behind Defazio
Figs. 4–5 (AdamW/AdamC, SGD/SGDC) and Chou Figs. 1, 4, 5, 6, 13 (AdamW/Renormalized AdamW or
AdamC, Scion/ScionC). Each side is drawn at its best setting, averaged over seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.equilibrium import SETTLING, STEADY, momentum_push, norms_over_time, radial_push
from analysis.load import load_runs
from analysis.seeds import best_per_optimizer, seed_mean

# Claim threshold fixed from the papers' wording ("the weight norm falls"), before our runs:
# over the second half of a cosine run the baseline's corrected-layer ‖w‖ falls > 15 %.
BASELINE_NORM_DROP = 0.15
# "More stable" (Chou Figs. 4, 5): the corrected norm's change, either way, below this share
# of the baseline's fall.
KEEP_FRACTION = 0.5


# Optimizers whose weight decay is added to the gradient (before the momentum), so the decay's
# pull is not γλθ per step: radial_push does not apply.
COUPLED_DECAY = ("sgd", "sgdc")


def mean_push(group: list[dict], start: float, stop: float) -> float:
    """equilibrium.radial_push over [start, stop] of the run, averaged over seeds; NaN for SGD,
    whose decay goes through its momentum (coupled)."""
    if group[0]["config"]["optimizer"] in COUPLED_DECAY:
        return float("nan")
    return float(np.mean([radial_push(r["layers"], r["metrics"], start, stop) for r in group]))


def steadier(corrected: float, baseline: float, keep_fraction: float = KEEP_FRACTION) -> bool:
    """Whether a corrected norm's relative change is "more stable" than the baseline's:
    |change| (a rise is not stability) below `keep_fraction` of the baseline's fall; False
    on NaN."""
    return abs(corrected) < -baseline * keep_fraction


def ema(series: pd.Series, span: int) -> pd.Series:
    """Exponential moving average that stays NaN where the series is (pandas' ewm carries the
    last value over a NaN, which would hide a divergence from the claims)."""
    return series.ewm(span=span).mean().where(series.notna())


def window_mean(series: pd.Series, start: float, stop: float) -> float:
    """Mean of a per-step series between two fractions of the run."""
    last = series.index.max()
    return float(series[(series.index >= start * last) & (series.index <= stop * last)].mean())


def change_between(series: pd.Series, start: float, stop: float) -> float:
    """Relative change of a series between two fractions of the run (window means); NaN if
    the series is not finite anywhere from the first window on (a run that diverged there
    is not judged on its finite part)."""
    last = series.index.max()
    if not style.all_finite(series[series.index >= start * last]):
        return float("nan")
    a = series[(series.index >= start * last) & (series.index <= (start + 0.05) * last)].mean()
    b = series[series.index >= (stop - 0.05) * last].mean()
    return float(b / a - 1)


# Premise of every norm claim here: the model trains from the start. Its smoothed train loss
# at 20 % of the run is below LEARNS_BY of its value over the first 2 % (a ViT stuck near
# chance for half the run is not at the equilibrium the papers' claims are about).
LEARNS_BY = 0.8


# Premise of the norm claims (added 2026-12-07, when AdamC at 2λ on the byte-level GPT jumped
# from 1.9 to 3.1 mid-run while its ‖w‖ change between the 2nd half's end windows read −4 %):
# each run trains stably, its smoothed train loss never rising more than SPIKE above its
# lowest value so far once past the first 10 %. A spike knocks the norms off equilibrium, and
# a change measured between two windows can then read "stable" by chance.
SPIKE = 0.25


def worst_spike(group: list[dict]) -> float:
    """The seed-averaged train loss (EMA) after 10 % of the run over its running minimum,
    at its largest, minus 1 (inf where the loss is not finite)."""
    loss = seed_mean([r["metrics"].set_index("step") for r in group])["loss"]
    smooth = loss.ewm(span=max(len(loss) // 50, 1)).mean()
    after = smooth[smooth.index >= 0.1 * smooth.index.max()]
    if not style.all_finite(after):
        return float("inf")
    return float((after / after.cummin()).max() - 1)


def learning_ratio(group: list[dict]) -> float:
    """Seed-averaged train loss (EMA) at 18–22 % of the run over its mean in the first 2 %."""
    loss = seed_mean([r["metrics"].set_index("step") for r in group])["loss"]
    smooth, last = loss.ewm(span=max(len(loss) // 50, 1)).mean(), loss.index.max()
    start = smooth[smooth.index <= 0.02 * last].mean()
    return float(smooth[(smooth.index >= 0.18 * last) & (smooth.index <= 0.22 * last)].mean()
                 / start)


def draw_side(axes, name: str, group: list[dict], color: str, overlay=None):
    """One optimizer's seed-averaged loss, ‖g‖ and ‖w‖ on the three axes. Returns its
    second-half changes, final train loss (NaN for both if it diverged) and ‖w‖ over the
    overlay's theory at the end (None without one)."""
    metrics = seed_mean([r["metrics"].set_index("step") for r in group])
    norms = seed_mean([norms_over_time(r["layers"]) for r in group])
    span = max(len(metrics) // 50, 1)
    label = f"{name.upper()} (lr {group[0]['config']['lr']}, {len(group)} seed(s))"
    axes[0].plot(metrics.index, metrics["loss"].ewm(span=span).mean(), color=color, label=label)
    axes[1].plot(norms.index, norms["grad_norm"].ewm(span=span).mean(), color=color)
    axes[2].plot(norms.index, norms["weight_norm"], color=color)
    predicted, end_ratio = overlay(group[0], metrics) if overlay else None, None
    mid_ratio = float("nan")
    if predicted is not None:
        axes[2].plot(predicted.index, predicted, color=color, ls="--", lw=0.8)
        end = predicted.index[-1]
        end_ratio = float(norms["weight_norm"].loc[end] / predicted.loc[end])
        mid = predicted.index[predicted.index <= 0.5 * end][-1]
        mid_ratio = float(norms["weight_norm"].loc[mid] / predicted.loc[mid])
    changes = {"weight": change_between(norms["weight_norm"], 0.5, 1.0),
               "grad": change_between(ema(norms["grad_norm"], span), 0.5, 1.0),
               # what a failed claim's cause reads: the fit over the 2nd half, and whether
               # ‖w‖ was still drifting before the decay (10 %–50 %: not at equilibrium)
               "loss": change_between(ema(metrics["loss"], span), 0.5, 1.0),
               "grad_times_weight": change_between(
                   ema(norms["grad_norm"] * norms["weight_norm"], span), 0.5, 1.0),
               "weight_before_decay": change_between(norms["weight_norm"], *SETTLING),
               "weight_over_theory_at_half": mid_ratio,
               # what holds ‖w‖ against the decay (equilibrium.radial_push)
               "push_before_decay": mean_push(group, *SETTLING),
               "push_second_half": mean_push(group, 0.5, 1.0)}
    final = float(metrics["loss"].iloc[-max(len(metrics) // 20, 1):].mean())
    if not style.all_finite(metrics["loss"], norms):  # diverged: no number to compare
        return {k: float("nan") for k in changes}, float("nan"), end_ratio
    return changes, final, end_ratio


def failure_causes(shown: dict, changes: dict, baseline: str, corrected: str) -> list[str]:
    """CAUSE lines for the shared claims that failed, from the runs' own numbers: a ‖g‖
    change split into its norm's share and the rest (a baseline with no end rise to remove,
    or a corrected ‖g‖ that moves at a fixed norm), a ‖w‖ still drifting before the decay
    (not at the equilibrium the claim is about)."""
    causes = []
    if not shown["corrected_tames_grad_norm"]:
        # ‖g‖ = (‖g‖·‖w‖)/‖w‖ on scale-invariant layers: the norm's share of a ‖g‖ change and
        # the rest (what ‖g‖ does at a fixed norm: the fit, the lr decay's settling)
        sides = ", ".join(f"{n.upper()} {changes[n]['grad']:+.0%} = ‖g‖·‖w‖ "
                          f"{changes[n]['grad_times_weight']:+.0%} over ‖w‖ "
                          f"{changes[n]['weight']:+.0%} (train loss {changes[n]['loss']:+.0%})"
                          for n in (baseline, corrected))
        unit_falls = all(changes[n]["grad_times_weight"] < 0 for n in (baseline, corrected))
        causes.append(f"‖g‖ over the 2nd half: {sides}"
                      + (": the baseline shows no end rise to remove"
                         if not changes[baseline]["grad"] > 0 else
                         ": ‖g‖·‖w‖ falls in both, so what ‖g‖ does at a fixed norm, not the "
                         "norm, decides the claim" if unit_falls else ""))
    for claim, name in (("baseline_weight_norm_falls", baseline),
                        ("corrected_keeps_weight_norm", corrected)):
        drift, theory = (changes[name][k] for k in ("weight_before_decay",
                                                    "weight_over_theory_at_half"))
        if shown[claim]:
            continue
        window = f"{SETTLING[0]:.0%}–{SETTLING[1]:.0%}"
        if abs(drift) > STEADY:
            causes.append(f"{name.upper()}'s ‖w‖ moves {drift:+.0%} over {window} of the run "
                          f"(steady: |·| < {STEADY:.0%}): not at equilibrium before the decay")
        elif abs(drift) > STEADY / 2 and drift * changes[name]["weight"] > 0:
            causes.append(f"{name.upper()}'s ‖w‖ drifts one way all run ({drift:+.0%} over "
                          f"{window}, then {changes[name]['weight']:+.0%}): no steady state to "
                          "keep")
        if abs(theory - 1) > STEADY:  # False on NaN (no theory overlay)
            towards = (theory < 1) == (drift > 0)
            causes.append(f"{name.upper()}'s ‖w‖ at 50 % of the run is {theory:.2f}× the "
                          "dashed theory's equilibrium and "
                          + ("still relaxing towards it" if towards else
                             f"moved away from it over {window} ({drift:+.0%}): the theory's "
                             "premise, updates independent of the weights, fails here"))
    return [style.cause(text) for text in causes]


def corrected_vs_baseline(paper: str, figure: str, sweep_file, scale: str, results, out_dir,
                          baseline: str, corrected: str, keep_fraction: float = KEEP_FRACTION,
                          loss_claim: bool = True, overlay=None, runs=None, extra=None) -> dict:
    """A baseline optimizer vs its corrected variant (Defazio Figs. 4–5, Chou Figs. 1, 4):
    loss, gradient norm and weight norm over training, each at its best setting,
    seed-averaged, with the shared claims: the baseline's weight norm falls over the second
    half, the corrected one's changes (either way: "more stable" is not "grows") by less than
    half as much, its gradient norm changes (either way) less than the baseline's rises, and
    its loss is no worse. `keep_fraction`:
    the corrected |change| must stay below this share of the baseline's fall (1 where the
    corrected schedule itself lowers ‖w‖, as a cosine C²);
    `loss_claim=False` where the paper claims norms only; `overlay(run, metrics)` -> a
    theory ‖w‖ per step (or None) drawn dashed, its end ratio kept in `measured`;
    `extra(best)` -> None or (panels {title: {optimizer: curve}}, shown, verdict texts,
    measured): more curves on panels of their own and claims after these (Chou Fig. 4's
    Table 1 norms, where the runs log them)."""
    # `runs`: already loaded by a caller that draws more from the same runs (Defazio Fig. 4).
    best = best_per_optimizer(runs if runs is not None else load_runs(sweep_file, scale, results))
    missing = {baseline, corrected} - set(best)
    if missing:
        raise ValueError(f"figure {figure} needs {baseline} and {corrected} runs; "
                         f"missing {sorted(missing)}")
    more = extra(best) if extra else None
    panels = more[0] if more else {}
    fig, axes = style.plt.subplots(1, 3 + len(panels), figsize=(13 + 4 * len(panels), 4))
    changes, finals, theory = {}, {}, {}
    colors = {baseline: "#1f77b4", corrected: "#d62728"}
    for name, color in colors.items():
        changes[name], finals[name], end_ratio = draw_side(axes, name, best[name], color, overlay)
        if end_ratio is not None:
            theory[name] = end_ratio
    for ax, (what, curves) in zip(axes[3:], panels.items()):
        for name, curve in curves.items():
            ax.plot(curve.index, curve, color=colors[name])
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    for ax, what in zip(axes, ("train loss (EMA)", "‖g‖ (EMA)", "‖w‖ of corrected layers"
                               + (" (dashed: theory)" if theory else ""))):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend()
    axes[1].set_yscale("log")
    b, c = baseline.upper(), corrected.upper()
    drop_b, drop_c = -changes[baseline]["weight"], -changes[corrected]["weight"]
    # Every claim is a comparison that is False on NaN: a diverged side passes nothing.
    shown = {"baseline_weight_norm_falls": drop_b > BASELINE_NORM_DROP,
             "corrected_keeps_weight_norm": steadier(-drop_c, -drop_b, keep_fraction),
             # "largely removes the increase": a ‖g‖ that collapses is not tamed either
             "corrected_tames_grad_norm":
                 abs(changes[corrected]["grad"]) < changes[baseline]["grad"],
             "corrected_loss_not_worse": finals[corrected] <= finals[baseline]}
    verdicts = style.verdict_lines(shown, {
        "baseline_weight_norm_falls": f"{b} ‖w‖ 2nd half: {-drop_b:+.0%} "
                                      f"(falls > {BASELINE_NORM_DROP:.0%})",
        "corrected_keeps_weight_norm": f"{c} ‖w‖ 2nd half: {-drop_c:+.0%} "
                                       f"(|change| < {keep_fraction:g}× {b}'s fall)",
        "corrected_tames_grad_norm": f"‖g‖ 2nd half: {b} {changes[baseline]['grad']:+.0%}, "
                                     f"{c} {changes[corrected]['grad']:+.0%}",
        "corrected_loss_not_worse": f"final train loss: {b} {finals[baseline]:.4f}, "
                                    f"{c} {finals[corrected]:.4f}"})
    if not loss_claim:
        del shown["corrected_loss_not_worse"], verdicts[-1]
    verdicts += failure_causes(shown, changes, baseline, corrected)
    if more:
        shown.update(more[1])
        verdicts += style.verdict_lines(more[1], more[2])
    learned = {name: learning_ratio(best[name]) for name in (baseline, corrected)}
    spikes = {name: worst_spike(best[name]) for name in (baseline, corrected)}
    premises = {"learns_early": all(v < LEARNS_BY for v in learned.values()),
                "trains_stably": all(v <= SPIKE for v in spikes.values())}
    verdicts[:0] = [style.premise(premises["learns_early"], f"train loss at 20 % / at the "
                                  f"start: {b} {learned[baseline]:.2f}, {c} "
                                  f"{learned[corrected]:.2f} (< {LEARNS_BY})"),
                    style.premise(premises["trains_stably"], f"largest rise of the train loss "
                                  f"(EMA) over its lowest so far, after 10 %: {b} "
                                  f"{spikes[baseline]:+.0%}, {c} {spikes[corrected]:+.0%} "
                                  f"(≤ {SPIKE:+.0%})")]
    # What holds ‖w‖ against the decay, for both sides, shown or not, beside its value at Chou
    # §2.2's steady state (gradients independent of the weights), set by the momentum alone:
    # equal to ‖w‖ at its Eq. 4 equilibrium, a check where no theory curve is drawn.
    verdicts.insert(2, f"{'measured':9}  update's outward push / the decay's pull on ‖w‖ "
                    f"(equilibrium.radial_push), {SETTLING[0]:.0%}–{SETTLING[1]:.0%} → 2nd "
                    "half: " + ", ".join(
                        f"{n.upper()} {changes[n]['push_before_decay']:.2f} → "
                        f"{changes[n]['push_second_half']:.2f}" for n in (baseline, corrected))
                    + " (Chou §2.2's steady state, gradients independent of the weights: "
                    "2β/(1+β) from the momentum alone, " + ", ".join(
                        f"{momentum_push(best[n][0]['config']['momentum']):.2f}"
                        for n in (baseline, corrected)) + ")")
    cfg = best[baseline][0]["config"]
    fig.suptitle(style.title(paper, figure, scale, f"{b} vs {c}, {cfg['model']}-{cfg['depth']}"
                             f"×{cfg['width']} on {cfg['dataset']}, λ {cfg['weight_decay']}"),
                 fontsize=10)
    stem = paper.split()[0].lower() + paper.split()[-1]  # "Chou et al. 2025" -> chou2025
    measured = {"changes_second_half": changes, "final_train_loss": finals,
                "train_loss_at_20pct_over_start": learned, "worst_loss_spike": spikes,
                **({"end_norm_over_theory": theory} if theory else {}),
                **(more[3] if more else {})}
    return style.finish(fig, f"{stem}-figure-{figure}_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.12, premises=premises)
