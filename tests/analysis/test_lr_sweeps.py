"""analysis/lr_sweeps.py: one rule for an optimum on the lr grid's edge, for every figure."""

from __future__ import annotations

import pandas as pd

from analysis.lr_sweeps import best_beats, edge_optima, gap_against_seeds


def test_edge_optima_one_rule_for_every_figure():
    table = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2], "lr": [0.01, 0.02, 0.04] * 2,
                          "loss": [2.0, 1.0, 2.0, 2.0, 1.5, 1.0]})
    assert edge_optima(table, "g") == ({1: 0.02, 2: 0.04}, ["2"])
    one = pd.DataFrame({"g": [1, 2], "lr": [0.01, 0.01], "loss": [1.0, 2.0]})
    assert edge_optima(one, "g")[1] == ["1", "2"]  # a one-value grid brackets nothing
    # Groups on grids of their own (AdamW's absolute lrs beside Muon's relative ones): an
    # optimum at the end of its own grid is on the edge, though inside the pooled one.
    own = pd.DataFrame({"g": ["adamw"] * 3 + ["muon"] * 3,
                        "lr": [0.001, 0.002, 0.004, 0.005, 0.01, 0.02],
                        "loss": [2.0, 1.5, 1.0, 2.0, 1.0, 2.0]})
    assert edge_optima(own, "g") == ({"adamw": 0.004, "muon": 0.01}, ["adamw"])


def _runs(*losses):
    return [{"metrics": pd.DataFrame({"eval_loss": [9.0, v], "loss": [9.0, v]})}
            for v in losses]


def test_gap_against_seeds_sets_a_failed_comparison_beside_chance():
    one = gap_against_seeds("x", _runs(2.02), _runs(2.0))
    assert one == "x: gap +1.00% with one seed, so the seed-to-seed spread is unmeasured"
    noisy = gap_against_seeds("x", _runs(1.98, 2.06), _runs(1.96, 2.04))  # std 0.057 each
    assert "gap +1.00%" in noisy and "(2 seeds): within seed noise" in noisy
    clean = gap_against_seeds("x", _runs(2.019, 2.021), _runs(1.999, 2.001))
    assert clean.endswith("(2 seeds): beyond seed noise")


def test_a_lead_within_seed_noise_is_no_win():
    """best_beats: lower and beyond the seed spread wins; lower within it does not (a CAUSE
    line says so); a win on ≥ 2 seeds prints its gap beside the spread; one seed a side has
    no spread, and a lower loss stands."""
    cases = {"noisy": (_runs(1.96, 2.04), _runs(1.98, 2.06)),  # −1 %, std 2.8 %
             "clean": (_runs(1.999, 2.001), _runs(2.019, 2.021)),  # −1 %, std 0.05 %
             "single": (_runs(2.0), _runs(2.02))}
    for name, (a, b) in cases.items():
        compared = {"A": a, "B": b}
        best = {"A": 2.0, "B": 2.02}
        shown, lines = best_beats(best, compared, {"a_beats_b": ("A", "B")})
        assert shown["a_beats_b"] is (name != "noisy"), name
        assert lines[0].startswith("SHOWN" if name != "noisy" else "NOT SHOWN")
        assert len(lines) == (1 if name == "single" else 2), name
        if name == "noisy":
            assert lines[1].startswith("CAUSE") and "within seed noise" in lines[1]
        if name == "clean":
            assert lines[1].startswith("measured") and "beyond seed noise" in lines[1]


def _seeded(*losses):
    return [{**run, "config": {"seed": seed}} for seed, run in enumerate(_runs(*losses))]


def test_groups_that_ran_the_same_seeds_are_judged_seed_by_seed():
    """Same seeds in both groups: the per-seed gaps' mean against their std, so a seed
    spread far above a consistent gap does not hide it, and an inconsistent one still fails;
    other seeds, or a seed twice, fall back to the seed means."""
    consistent = (_seeded(1.98, 2.18, 2.38), _seeded(2.0, 2.2, 2.4))  # ≈ −0.9 %, seeds ±10 %
    shown, lines = best_beats({"A": 2.18, "B": 2.2}, dict(zip("AB", consistent)),
                              {"a_beats_b": ("A", "B")})
    assert shown["a_beats_b"] and lines[1].startswith("measured") and "paired" in lines[1]
    assert "per-seed gap mean -0.91%" in lines[1]
    mixed = (_seeded(1.98, 2.22, 2.37), _seeded(2.0, 2.2, 2.4))  # −1 %, +0.9 %, −1.25 %
    shown, lines = best_beats({"A": 2.19, "B": 2.2}, dict(zip("AB", mixed)),
                              {"a_beats_b": ("A", "B")})
    assert not shown["a_beats_b"] and lines[1].startswith("CAUSE") and "paired" in lines[1]
    other_seeds = [{**r, "config": {"seed": r["config"]["seed"] + 3}} for r in consistent[1]]
    unpaired = gap_against_seeds("x", consistent[0], other_seeds)
    assert "paired" not in unpaired and "within seed noise" in unpaired
    twice = [{**r, "config": {"seed": 0}} for r in consistent[0]]
    assert "paired" not in gap_against_seeds("x", twice, consistent[1])


def test_a_gap_beyond_the_noise_the_wrong_way_is_no_win():
    """`best` puts A ahead, but seed by seed A is consistently behind: no win."""
    a, b = _seeded(2.10, 2.11, 2.12), _seeded(2.0, 2.0, 2.0)
    shown, _ = best_beats({"A": 1.9, "B": 2.0}, {"A": a, "B": b}, {"a_beats_b": ("A", "B")})
    assert not shown["a_beats_b"]  # `best` says ahead; the runs say +5 ± 0.5 % behind
