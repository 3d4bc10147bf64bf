"""Chou et al. 2025, Table 3: Scion's weight-decay sweep on ViT-S/16 (App. E), behind Table 2's
Scion column.

Mean ± sample std over seeds per cell, beside the paper's numbers (`paper_table:` in
the sweep file); `harness table` prints other layouts.
"""

from analysis.tables import draw_table as draw

QUOTE = ("Table 3 caption: “ImageNet-1k top-1 val. accuracy (original label) of simple ViT-S/16 "
         "trained with Scion and various training budget, weight decay coefficient λ sweep.”")

__all__ = ["draw"]
