"""Kosson et al. 2026, Figure 11: learning-rate sweeps on a DeepSeekMoE-style MoE GPT of tuned
AdamW, tuned Muon and MuonMD (left): MuonMD's best loss beats both baselines' best; and, where
the sweep holds several model sizes, the best loss per optimizer against training compute
(centre): MuonMD keeps beating them at every compute.

The left panel and its claims are the largest size's (the sweep's base at mini); sizes are told
apart by width. Compute is the dense-equivalent 6·N·D with Kaplan et al.'s N = 12·depth·width²
(attention 4w², feed-forward 8w²; the MoE's experts are sized so that a token's active compute
is the dense model's) and D the tokens trained on; embeddings and the head left out. Our SwiGLU
rounds its hidden size up (3w at widths 64 and 128: 13/12 of that N), the same factor at every
size, so the axis's ratios are exact.
"""

from __future__ import annotations

from analysis import lr_sweeps, style
from analysis.load import ResultsError, load_runs
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 11: “The gains from decoupling persist at scale: "
         "on large MoEs, MuonMD beats well-tuned Muon and AdamW … (Left) LR sweep of the base "
         "optimizers on the 270M-active base.”")
NOT_REPRODUCED = ("the right panel, and the centre panel's sizes (270M–810M active there; "
                  "the mini sizes differ in width only); AdamW's ~2× compute saving is not "
                  "measured")

LABELS = {"adamw": "AdamW (λ, warmup)", "muon": "Muon (λ, warmup)",
          "muonmd": "MuonMD (sphere + gains)"}
BASELINES = ("adamw", "muon")
CLAIMS = {f"muonmd_beats_tuned_{base}": (LABELS["muonmd"], LABELS[base]) for base in BASELINES}


def by_width(runs: list[dict]) -> dict[int, list[dict]]:
    """The runs per model width, smallest first (a width with several depths is refused: the
    sizes would mix)."""
    sizes: dict[int, list[dict]] = {}
    for run in runs:
        sizes.setdefault(run["config"]["width"], []).append(run)
    for width, group in sizes.items():
        depths = sorted({r["config"]["depth"] for r in group})
        if len(depths) > 1:
            raise ResultsError(f"figure 11 tells sizes apart by width; width {width} has runs "
                               f"at depths {depths}")
    return dict(sorted(sizes.items()))


def compute(config: dict) -> float:
    """A run's dense-equivalent training FLOPs, 6·(12·depth·width²)·tokens."""
    missing = [k for k in ("steps", "batch_size", "seq_len") if config.get(k) is None]
    if missing:
        raise ResultsError(f"figure 11's compute axis needs {', '.join(missing)} set in the "
                           "sweep (the tokens trained on)")
    tokens = config["steps"] * config["batch_size"] * config["seq_len"]
    return 6.0 * 12 * config["depth"] * config["width"] ** 2 * tokens


STATUS = len("NOT SHOWN  ")  # style's status words (SHOWN, CAUSE, measured…) are padded to it


def at(width: int, line: str) -> str:
    """A verdict line of one size: its status word, then the size."""
    return f"{line[:STATUS]}width {width}: {line[STATUS:]}"


def compare_sizes(sweep_file, runs: list[dict], labels: dict, figure: str,
                  claims: dict) -> dict[int, dict]:
    """{width: lr_sweeps.compare_optimizers' findings on that width's runs}, smallest first."""
    return {w: lr_sweeps.compare_optimizers(sweep_file, group, labels, figure, claims)
            for w, group in by_width(runs).items()}


def every_compute(found: dict[int, dict], claims: dict, winner: str) -> tuple[bool, str, dict]:
    """(shown, verdict line, {width: FLOPs}): every claim of `claims` holds at every size."""
    every = all(f["shown"][claim] for f in found.values() for claim in claims)
    flops = {w: compute(f["compared"][winner][0]["config"]) for w, f in found.items()}
    return every, verdict(every, f"{winner} beats both tuned baselines, beyond seed noise, at "
                          "every compute: " + ", ".join(
                              f"{flops[w]:.1e} FLOPs (width {w}) "
                              + ("yes" if all(f["shown"][c] for c in claims) else "no")
                              for w, f in found.items())), flops


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD against each tuned baseline, each at its best lr, on the MoE GPT; across sizes,
    at every compute."""
    found = compare_sizes(sweep_file, load_runs(sweep_file, scale, results, tables=("metrics",)),
                          LABELS, "11", CLAIMS)
    base, several = max(found), len(found) > 1
    premises, verdicts, learned = lr_sweeps.learns_premise(
        {(f"width {w} {g}" if several else g): runs
         for w, f in found.items() for g, runs in f["compared"].items()})
    shown = {claim: found[base]["shown"][claim] for claim in CLAIMS}
    verdicts += [at(base, line) if several else line for line in found[base]["lines"]]
    edge = [f"width {w} {g}" if several else g for w, f in found.items()
            for g in f["measured"]["at_edge"]]
    fig, axes = style.plt.subplots(1, 2 if several else 1, figsize=(13 if several else 7, 4.2),
                                   squeeze=False)
    lr_sweeps.sweep_plot(found[base]["table"], "g", scale, "11", "MoE GPT: tuned AdamW, Muon vs "
                         "MuonMD", ax=axes[0][0], label=str, xlabel=f"lr, width {base} (AdamW: "
                         "absolute step; Muon, MuonMD: relative)")
    measured = {"best_loss": found[base]["measured"]["best_loss"], **learned}
    if several:
        verdicts += [at(w, line) for w, f in found.items() if w != base for line in f["lines"]]
        every, line, flops = every_compute(found, CLAIMS, LABELS["muonmd"])
        shown["muonmd_beats_tuned_baselines_at_every_compute"] = every
        verdicts.append(line)
        compute_plot(axes[0][1], found, flops, LABELS.values())
        measured.update(compute_flops={str(w): v for w, v in flops.items()},
                        best_loss_per_width={str(w): f["measured"]["best_loss"]
                                             for w, f in found.items()})
    shown["optima_inside_the_lr_grid"] = not edge
    verdicts.append(verdict(not edge, "every optimum inside its lr grid" if not edge else
                            f"optimum on the grid's edge for {edge}: extend the grid"))
    measured["at_edge"] = edge
    return style.finish(fig, f"kosson2026-figure-11_{scale}", verdicts, shown, measured,
                        out_dir, text_y=-0.02, premises=premises)


def compute_plot(ax, found: dict[int, dict], flops: dict[int, float], labels) -> None:
    """The centre panel: each optimizer's best held-out loss against training compute."""
    for label in labels:
        ax.plot([flops[w] for w in found], [f["best"][label] for f in found.values()],
                marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training compute, dense-equivalent FLOPs (6·12·depth·width²·tokens)")
    ax.set_ylabel("best held-out loss (seed mean)")
    ax.legend(fontsize=8)
