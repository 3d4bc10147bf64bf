"""Chou et al. 2025, Figure 4: Scion vs ScionC on a GPT. Where the runs log Table 1's norms
(layers.parquet, runs made from 2026-12-01), also ScionC's steadier Spectral norms and a Sign
norm stable in both."""

from __future__ import annotations

from analysis import style
from analysis.chou2025.figure_12 import OUTPUT_STABLE, logs, table1_norms
from analysis.corrected import KEEP_FRACTION, change_between, corrected_vs_baseline, steadier
from analysis.seeds import seed_mean

PAPER = "Chou et al. 2025"
QUOTE = ("Fig. 4 caption: “λ∝γ scaling of ScionC results in more stable weight norm, gradient "
         "norm, and Spectral norms.” / §3.1: “We find that ScionC results in lower validation "
         "loss (2.838 vs. 2.846) and more stable weight norm, gradient norm, and Spectral norms "
         "than the baseline Scion (Fig. 4). The Sign norm is stable in both experiments”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = ("validation loss (train loss is compared), and the Spectral and Sign norms "
                  "where the runs do not log them (runs made before 2026-12-01 do not log them)")

NAMES = ("scion", "scionc")
# "The Sign norm is stable in both experiments": |change| over the second half below Fig. 12's
# bound for the same norm on the same kind of layer (the output layer, uncorrected in both
# Scion and ScionC here, "remains stable if not corrected"), fixed before the norm was logged.
SIGN_STABLE = OUTPUT_STABLE


def table1_claims(best: dict):
    """Fig. 4's claims on Table 1's norms, each only where every run of both sides logs its
    norm (None where neither is: runs made before 2026-12-01)."""
    runs = [r for n in NAMES for r in best[n]]
    curves = {n: seed_mean([table1_norms(r["layers"]) for r in best[n]]) for n in NAMES}
    panels, shown, texts, measured = {}, {}, {}, {}
    b, c = (n.upper() for n in NAMES)
    if all(logs(r["layers"], "spectral_norm") for r in runs):
        # ‖w‖'s "more stable" rule, on the geometric mean of the Spectral norms.
        ch = {n: change_between(curves[n]["spectral"], 0.5, 1.0) for n in NAMES}
        panels["Spectral norm, geometric mean"] = {n: curves[n]["spectral"] for n in NAMES}
        shown["corrected_keeps_spectral_norm"] = steadier(ch["scionc"], ch["scion"])
        texts["corrected_keeps_spectral_norm"] = (
            f"Spectral norm (geometric mean) 2nd half: {b} {ch['scion']:+.0%}, {c} "
            f"{ch['scionc']:+.0%} (|{c}| < {KEEP_FRACTION:g}× {b}'s fall)")
        measured["spectral_change_second_half"] = ch
    if all(logs(r["layers"], "sign_norm") for r in runs):
        ch = {n: change_between(curves[n]["sign"], 0.5, 1.0) for n in NAMES}
        panels["Sign norm (tied embedding/head)"] = {n: curves[n]["sign"] for n in NAMES}
        shown["sign_norm_stable_in_both"] = style.all_finite(list(ch.values())) and max(
            map(abs, ch.values())) < SIGN_STABLE
        texts["sign_norm_stable_in_both"] = (
            f"Sign norm 2nd half: {b} {ch['scion']:+.1%}, {c} {ch['scionc']:+.1%} "
            f"(|·| < {SIGN_STABLE:.0%})")
        measured["sign_change_second_half"] = ch
    return (panels, shown, texts, measured) if shown else None


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Scion vs ScionC on a GPT (and their Spectral and Sign norms where logged)."""
    return corrected_vs_baseline(PAPER, "4", sweep_file, scale, results, out_dir, *NAMES,
                                 extra=table1_claims)
