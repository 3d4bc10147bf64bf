"""Chou et al. 2025, Table 3: Scion's weight-decay sweep on ViT-S/16 (App. E), behind Table 2's
Scion column.

Mean ± sample std over seeds per cell, beside the paper's numbers (`paper_table:` in
the sweep file); `harness table` prints other layouts.
"""

from analysis.tables import draw_table as draw

__all__ = ["draw"]
