"""analysis/equilibrium.py: the per-step norms summed over normalized tensors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.equilibrium import norms_over_time


def test_norms_are_nan_where_one_tensor_is():
    layers = pd.DataFrame({"step": [0, 0, 1, 1], "layer": ["a", "b"] * 2,
                           "normalized": [True] * 4, "weight_norm": [3.0, 4.0, 3.0, np.nan],
                           "grad_norm": [1.0] * 4})
    out = norms_over_time(layers)
    assert out.loc[0, "weight_norm"] == 5.0 and np.isnan(out.loc[1, "weight_norm"])
