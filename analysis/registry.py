"""Every paper artifact the harness draws: figures (a draw function with claim checks) and
tables (`harness table` over a sweep). `make list` and `make report` read this."""

from __future__ import annotations

from . import background, chou2025, defazio2025, kosson2026

FIGURES = {  # name -> (draw function, sweep file it reads)
    "defazio2025-fig1": (defazio2025.figure1, "experiments/defazio2025/figure4.yaml"),
    "defazio2025-fig2": (defazio2025.figure2, "experiments/defazio2025/figure2.yaml"),
    "defazio2025-fig3": (defazio2025.figure3, "experiments/defazio2025/figure3.yaml"),
    "defazio2025-fig4": (defazio2025.figure4, "experiments/defazio2025/figure4.yaml"),
    "defazio2025-fig5": (defazio2025.figure5, "experiments/defazio2025/figure5.yaml"),
    "chou2025-fig1": (chou2025.figure1, "experiments/chou2025/figure1.yaml"),
    "chou2025-fig2": (chou2025.figure2, "experiments/chou2025/figure2.yaml"),
    "chou2025-fig4": (chou2025.figure4, "experiments/chou2025/figure4.yaml"),
    "chou2025-fig7": (chou2025.figure7, "experiments/chou2025/figure7.yaml"),
    "kosson2026-fig6": (kosson2026.figure6, "experiments/kosson2026/figure6.yaml"),
    "kosson2026-fig7": (kosson2026.figure7, "experiments/kosson2026/figure7.yaml"),
    "background-fig1": (background.figure1, "experiments/background/figure1.yaml"),
}
TABLES = {  # name -> sweep file with a `table:` layout (and the paper's numbers)
    "chou2025-table2": "experiments/chou2025/table2.yaml",
    "chou2025-table3": "experiments/chou2025/table3.yaml",
    "chou2025-table4": "experiments/chou2025/table4.yaml",
    "chou2025-table5": "experiments/chou2025/table5.yaml",
}
# Sweeps with runs but no drawing yet (their runs can be made; figures are future work).
SWEEPS_ONLY = {
    "chou2025-fig3": "experiments/chou2025/figure3.yaml",
}
