"""Chou et al. 2025's norm-dynamics figures on the ViT: AdamW vs AdamC (Fig. 5), Scion vs
ScionC with cosine C² (Fig. 6) and with constant C² (Fig. 13), AdamC's betas (Fig. 8, App. B),
and correcting the output layer's weight decay (Fig. 12, App. D).

Figs. 5, 6 and 13 are baseline-vs-corrected drawings (analysis/compare.py); the Scion ones add
the steady-state norm of §2.2 (Eq. 4 before its η ≪ α approximation) as a dashed overlay.
Claim thresholds below were fixed from the captions' wording before any run was seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import style
from .compare import _change, corrected_vs_baseline, nan_sum, norms_over_time, seed_groups
from .load import load_runs
from .style import verdict
from .theory import lmo_norm2, scion_steady_norm2

PAPER = "Chou et al. 2025"
# Fig. 8, "changing the beta values has almost no effects on the weight norm": the two ‖w‖
# curves stay within 10 % of each other after the first 10 % of the run.
BETAS_NORM_TOLERANCE = 0.10
BETAS_SKIP = 0.10
# Fig. 12, over the last quarter of the run (windows at 75–80 % and 95–100 %): the corrected
# output layer's norm "continues to increase" (> +5 %); uncorrected it "remains stable"
# (|change| < 5 %); and it rises more than the hidden matrices' norm ("qualitatively
# different from the others").
OUTPUT_RISE = 0.05
OUTPUT_STABLE = 0.05

# Hidden linears of timm's ViT (the harness's ViT, mlp ratio 4) as (d_out, d_in) in units of
# the width: the norms logged per tensor carry no shapes, and Eq. 4 needs ‖u‖² per layer.
VIT_LINEARS = {"attn.qkv.weight": (3, 1), "attn.proj.weight": (1, 1),
               "mlp.fc1.weight": (4, 1), "mlp.fc2.weight": (1, 4)}


def vit_update_norm2(layers: pd.DataFrame, width: int) -> float | None:
    """Σ‖u_l‖² of the Spectral update over the normalized (hidden linear) layers of a ViT
    (Table 1); None when a layer's shape is not known (another model: no overlay)."""
    total = 0.0
    for name in layers.loc[layers["normalized"], "layer"].astype(str).unique():
        shape = next((s for suffix, s in VIT_LINEARS.items() if name.endswith(suffix)), None)
        if shape is None:
            return None
        total += lmo_norm2("spectral", shape[0] * width, shape[1] * width)
    return total


def scion_theory(run: dict, metrics: pd.DataFrame) -> pd.Series | None:
    """The hidden layers' steady-state ‖w‖ at each step's γ_t and λ_t (the logged ones, so
    ScionC's λ_t ∝ γ_t/C²_t is included): √(Σ‖u‖² · E‖θ‖²/‖u‖²), Chou §2.2. It is the
    equilibrium the norm relaxes to, not a prediction of the lag behind it."""
    cfg = run["config"]
    if cfg["optimizer"] not in ("scion", "scionc") or cfg["model"] != "vit":
        return None
    u2 = vit_update_norm2(run["layers"], cfg["width"])
    if not u2:
        return None
    m = metrics[metrics["lr"] > 0]  # γ = 0 (last cosine step): no equilibrium to speak of
    return pd.Series(np.sqrt(scion_steady_norm2(m["lr"], m["weight_decay"], cfg["momentum"],
                                                u2)), index=m.index)


def figure5(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamW vs AdamC on the ViT: the caption claims steadier weight and gradient norms."""
    return corrected_vs_baseline(PAPER, "5", sweep_file, scale, results, out_dir, "adamw",
                                 "adamc", loss_claim=False)


def figure6(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC (cosine C²). ScionC's C² schedule itself lowers ‖w‖ (to ½ by the end
    for C²_T = C²_0/4), so "more stable" here means: falls less than Scion's."""
    return corrected_vs_baseline(PAPER, "6", sweep_file, scale, results, out_dir, "scion",
                                 "scionc", keep_fraction=1.0, loss_claim=False,
                                 overlay=scion_theory)


def figure13(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC (constant C²): Fig. 4's claims on the ViT, with the Eq. 4 overlay."""
    return corrected_vs_baseline(PAPER, "13", sweep_file, scale, results, out_dir, "scion",
                                 "scionc", loss_claim=False, overlay=scion_theory)


def _norm_parts(layers: pd.DataFrame) -> pd.DataFrame:
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


def figure8(sweep_file, scale: str, results, out_dir) -> dict:
    """AdamC with β1 = β2 = 0.99 vs (0.9, 0.999): the weight norm should barely move."""
    curves = seed_groups(load_runs(sweep_file, scale, results),
                         lambda c: f"β1={c['momentum']:g}, β2={c['beta2']:g}", _norm_parts)
    if len(curves) != 2:
        raise ValueError(f"figure 8 needs two (β1, β2) settings; got {sorted(curves)}")
    (name_a, a), (name_b, b) = sorted(curves.items())
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 4))
    for (name, c), color in zip(((name_a, a), (name_b, b)), ("#1f77b4", "#d62728")):
        span = max(len(c["metrics"]) // 50, 1)
        axes[0].plot(c["metrics"].index, c["metrics"]["loss"].ewm(span=span).mean(),
                     color=color, label=f"AdamC {name} ({c['seeds']} seed(s))")
        axes[1].plot(c["norms"].index, c["norms"]["hidden"], color=color)
    ratio = a["norms"]["hidden"] / b["norms"]["hidden"]
    # From BETAS_SKIP of the whole run on, NaN included: a run that diverged mid-way fails
    # rather than being judged on its finite prefix.
    late = ratio[ratio.index >= BETAS_SKIP * ratio.index.max()]
    losses = [c["metrics"]["loss"] for c in (a, b)]
    finite = style.all_finite(late, *(x[x.index >= BETAS_SKIP * x.index.max()] for x in losses))
    worst = float((late - 1).abs().max()) if finite and len(late) else float("nan")
    axes[2].plot(ratio.index, ratio, color="black")
    axes[2].axhspan(1 - BETAS_NORM_TOLERANCE, 1 + BETAS_NORM_TOLERANCE, color="0.9")
    for ax, what in zip(axes, ("train loss (EMA)", "‖w‖ of normalized layers",
                               f"‖w‖ ratio ({name_a}) / ({name_b})")):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend(fontsize=8)
    shown = {"weight_norm_independent_of_betas": worst < BETAS_NORM_TOLERANCE}
    verdicts = [verdict(shown["weight_norm_independent_of_betas"], f"‖w‖ ratio after "
                        f"{BETAS_SKIP:.0%} of the run: worst |ratio−1| = {worst:.3f} "
                        f"(< {BETAS_NORM_TOLERANCE})")]
    finals = {n: float(c["metrics"]["loss"].iloc[-max(len(c["metrics"]) // 20, 1):].mean())
              for n, c in curves.items()}
    fig.suptitle(style.title(PAPER, "8", scale, "AdamC's weight norm does not depend on its "
                             "betas"), fontsize=10)
    return style.finish(fig, f"chou2025_fig8_{scale}", verdicts, shown,
                        {"worst_ratio_deviation": worst, "final_train_loss": finals}, out_dir,
                        text_y=-0.08)


def figure12(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC vs ScionC with the output layer corrected too: only the last lets the
    output (Sign) layer's norm grow through the end of the cosine decay."""
    curves = seed_groups(load_runs(sweep_file, scale, results), lambda c: c["optimizer"] + (
        "+output" if c.get("correct_output") else ""), _norm_parts)
    names = ("scion", "scionc", "scionc+output")
    missing = set(names) - set(curves)
    if missing:
        raise ValueError(f"figure 12 needs {', '.join(names)} runs; missing {sorted(missing)}")
    panels = (("total", "‖w‖, all tensors"), ("hidden", "‖w‖, hidden matrices (Spectral)"),
              ("vectors", "‖w‖, gains and biases (Bias)"), ("output", "‖w‖, output layer (Sign)"))
    fig, axes = style.plt.subplots(1, 4, figsize=(16, 4))
    fig.subplots_adjust(wspace=0.3)  # room for each panel's own y ticks
    changes = {}
    for name, color in zip(names, ("#1f77b4", "#d62728", "#2ca02c")):
        norms = curves[name]["norms"]
        for ax, (part, _) in zip(axes, panels):
            ax.plot(norms.index, norms[part], color=color, label=name if part == "total" else None)
        changes[name] = {part: _change(norms[part], 0.75, 1.0) for part in ("hidden", "output")}
    for ax, (_, what) in zip(axes, panels):
        ax.set_xlabel("step")
        ax.set_title(what, fontsize=10)
    axes[0].legend(fontsize=8)
    unfixed = [changes["scion"]["output"], changes["scionc"]["output"]]
    fixed = max(map(abs, unfixed)) if style.all_finite(unfixed) else float("nan")
    rise = changes["scionc+output"]["output"]
    gap = rise - changes["scionc+output"]["hidden"]
    shown = {"corrected_output_norm_rises_at_the_end": rise > OUTPUT_RISE,
             "uncorrected_output_norm_stable": fixed < OUTPUT_STABLE,
             "output_norm_differs_from_the_others": gap > OUTPUT_RISE}
    verdicts = [
        verdict(shown["corrected_output_norm_rises_at_the_end"], f"ScionC+output: output ‖w‖ "
                f"last quarter {rise:+.1%} (rises > {OUTPUT_RISE:.0%})"),
        verdict(shown["uncorrected_output_norm_stable"], "Scion, ScionC: output ‖w‖ last "
                f"quarter {changes['scion']['output']:+.1%}, {changes['scionc']['output']:+.1%}"
                f" (|·| < {OUTPUT_STABLE:.0%})"),
        verdict(shown["output_norm_differs_from_the_others"], f"ScionC+output: output minus "
                f"hidden ‖w‖ change {gap:+.1%} (> {OUTPUT_RISE:.0%})"),
    ]
    fig.suptitle(style.title(PAPER, "12", scale, "correcting the output layer lets its norm "
                             "grow"), fontsize=10)
    return style.finish(fig, f"chou2025_fig12_{scale}", verdicts, shown,
                        {"changes_last_quarter": changes}, out_dir, text_y=-0.08)
