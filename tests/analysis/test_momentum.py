"""analysis/momentum.py: the schedule it predicts from a config against the float64 reference
of Chou's momentum schedules."""

from __future__ import annotations

import numpy as np
from conftest import TOTAL, WARMUP, chou_schedule, warmup_cosine

from analysis.momentum import predicted_schedule


def test_predicted_schedule_matches_the_reference():
    steps = np.arange(TOTAL)
    factor = np.array([warmup_cosine(t) for t in steps])
    for cfg in (dict(lr=0.004, momentum=0.98, momentum_schedule="match_effective_lr_no_sqrt",
                     momentum_final=0.2),
                dict(lr=0.01, momentum=0.9, momentum_schedule="match_effective_lr",
                     momentum_final=0.0),
                dict(lr=0.01, momentum=0.99, momentum_schedule="linear", momentum_final=0.0)):
        lr, alpha = predicted_schedule(cfg, steps, factor, TOTAL, WARMUP)
        want = np.array([chou_schedule(cfg, t) for t in steps])
        np.testing.assert_allclose(lr, want[:, 0], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(alpha, want[:, 1], rtol=1e-9)
