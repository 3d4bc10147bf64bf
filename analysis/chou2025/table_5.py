"""Chou et al. 2025, Table 5: ScionC (cosine C²) sweep on ViT-S/16 (App. E), behind Table 2's
column.

Mean ± sample std over seeds per cell, beside the paper's numbers (`paper_table:` in
the sweep file); `harness table` prints other layouts.
"""

from analysis.tables import draw_table as draw

# The paper's caption says ScionC (constant); the table is §3.2's ScionC (cosine) sweep.
QUOTE = ("Table 5 caption: “ImageNet-1k top-1 val. accuracy (original label) of simple ViT-S/16 "
         "trained with ScionC (constant) and various training budget, terminal steady-state norm "
         "squared … sweep. Initial steady-state norm squared … for these experiments.”")

__all__ = ["draw"]
