"""Every paper artifact the harness draws: figures (a draw function with claim checks) and
tables (`harness table` over a sweep). `make list` and `make report` read this."""

from __future__ import annotations

from . import (
    background,
    chou2025,
    chou2025_momentum,
    chou2025_norms,
    defazio2025,
    kosson2026,
    kosson2026_ablations,
    kosson2026_sweeps,
)

FIGURES = {  # name -> (draw function, sweep file it reads)
    "defazio2025-fig1": (defazio2025.figure1, "experiments/defazio2025/figure4.yaml"),
    "defazio2025-fig2": (defazio2025.figure2, "experiments/defazio2025/figure2.yaml"),
    "defazio2025-fig3": (defazio2025.figure3, "experiments/defazio2025/figure3.yaml"),
    "defazio2025-fig4": (defazio2025.figure4, "experiments/defazio2025/figure4.yaml"),
    "defazio2025-fig5": (defazio2025.figure5, "experiments/defazio2025/figure5.yaml"),
    "chou2025-fig1": (chou2025.figure1, "experiments/chou2025/figure1.yaml"),
    "chou2025-fig2": (chou2025.figure2, "experiments/chou2025/figure2.yaml"),
    "chou2025-fig3": (chou2025_momentum.figure3, "experiments/chou2025/figure3.yaml"),
    "chou2025-fig4": (chou2025.figure4, "experiments/chou2025/figure4.yaml"),
    "chou2025-fig5": (chou2025_norms.figure5, "experiments/chou2025/figure5.yaml"),
    "chou2025-fig6": (chou2025_norms.figure6, "experiments/chou2025/figure6.yaml"),
    "chou2025-fig7": (chou2025.figure7, "experiments/chou2025/figure7.yaml"),
    "chou2025-fig8": (chou2025_norms.figure8, "experiments/chou2025/figure8.yaml"),
    "chou2025-fig9": (chou2025_momentum.figure9, "experiments/chou2025/figure9.yaml"),
    "chou2025-fig10": (chou2025_momentum.figure10, "experiments/chou2025/figure10.yaml"),
    "chou2025-fig11": (chou2025_momentum.figure11, "experiments/chou2025/figure11.yaml"),
    "chou2025-fig12": (chou2025_norms.figure12, "experiments/chou2025/figure12.yaml"),
    "chou2025-fig13": (chou2025_norms.figure13, "experiments/chou2025/figure13.yaml"),
    "kosson2026-fig2": (kosson2026_ablations.figure2, None),  # exact arithmetic, no runs
    "kosson2026-fig4": (kosson2026_ablations.figure4, "experiments/kosson2026/figure4.yaml"),
    "kosson2026-fig5": (kosson2026_ablations.figure5, "experiments/kosson2026/figure5.yaml"),
    "kosson2026-fig6": (kosson2026.figure6, "experiments/kosson2026/figure6.yaml"),
    "kosson2026-fig7": (kosson2026.figure7, "experiments/kosson2026/figure7.yaml"),
    "kosson2026-fig9": (kosson2026_ablations.figure9, "experiments/kosson2026/figure9.yaml"),
    "kosson2026-fig10": (kosson2026_ablations.figure10, "experiments/kosson2026/figure10.yaml"),
    "kosson2026-fig12": (kosson2026_sweeps.figure12, "experiments/kosson2026/figure12.yaml"),
    "kosson2026-fig14": (kosson2026_sweeps.figure14, "experiments/kosson2026/figure14.yaml"),
    "kosson2026-fig16": (kosson2026_sweeps.figure16, "experiments/kosson2026/figure16.yaml"),
    "kosson2026-fig17": (kosson2026_ablations.figure17, "experiments/kosson2026/figure17.yaml"),
    "kosson2026-fig18": (kosson2026_sweeps.figure18, "experiments/kosson2026/figure18.yaml"),
    "background-fig1": (background.figure1, "experiments/background/figure1.yaml"),
}
TABLES = {  # name -> sweep file with a `table:` layout (and the paper's numbers)
    "chou2025-table2": "experiments/chou2025/table2.yaml",
    "chou2025-table3": "experiments/chou2025/table3.yaml",
    "chou2025-table4": "experiments/chou2025/table4.yaml",
    "chou2025-table5": "experiments/chou2025/table5.yaml",
}
