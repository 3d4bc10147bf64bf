"""Chou et al. 2025, Figure 12: Scion vs ScionC vs ScionC with the output layer corrected too: only
the last lets the output (Sign) layer's norm grow through the end of the cosine decay.

Premises, for all three (App. D's argument is about the output layer at steady state, "as the
model makes more and more correct predictions"): the model learns early, and the hidden ‖w‖
is at Chou §2.2's equilibrium before the decay, well before the last quarter judged.
"""

from __future__ import annotations

from analysis import style
from analysis.corrected import change_between
from analysis.equilibrium import norm_parts
from analysis.load import load_runs
from analysis.momentum import equilibrium_premises
from analysis.seeds import seed_groups
from analysis.style import verdict

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 12 caption: “The behavior of the Sign norm is qualitatively different from the "
         "others: It continues to increase towards the end of the cosine learning rate decay if "
         "we apply the λ∝γ correction but remains stable if not corrected.”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = ("the Sign norm itself (the head's L2 norm is drawn: only L2 "
                  "norms are logged)")

# Fig. 12, over the last quarter of the run (windows at 75–80 % and 95–100 %): the corrected
# output layer's norm "continues to increase" (> +5 %); uncorrected it "remains stable"
# (|change| < 5 %); and it rises more than the hidden matrices' norm ("qualitatively
# different from the others").
OUTPUT_RISE = 0.05

OUTPUT_STABLE = 0.05


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC vs ScionC with the output layer corrected too: only the last lets the
    output (Sign) layer's norm grow through the end of the cosine decay."""
    curves = seed_groups(load_runs(sweep_file, scale, results), lambda c: c["optimizer"] + (
        "+output" if c.get("correct_output") else ""), norm_parts)
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
        changes[name] = {part: change_between(norms[part], 0.75, 1.0)
                         for part in ("hidden", "output")}
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
    premises, verdicts, numbers = equilibrium_premises({n: curves[n]["runs"] for n in names})
    verdicts += [
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
    measured = {"changes_last_quarter": changes, **numbers}
    return style.finish(fig, f"chou2025-figure-12_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.08, premises=premises)
