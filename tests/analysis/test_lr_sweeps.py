"""analysis/lr_sweeps.py: one rule for an optimum on the lr grid's edge, for every figure."""

from __future__ import annotations

import pandas as pd

from analysis.lr_sweeps import edge_optima


def test_edge_optima_one_rule_for_every_figure():
    table = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2], "lr": [0.01, 0.02, 0.04] * 2,
                          "loss": [2.0, 1.0, 2.0, 2.0, 1.5, 1.0]})
    assert edge_optima(table, "g") == ({1: 0.02, 2: 0.04}, ["2"])
    one = pd.DataFrame({"g": [1, 2], "lr": [0.01, 0.01], "loss": [1.0, 2.0]})
    assert edge_optima(one, "g")[1] == ["1", "2"]  # a one-value grid brackets nothing
