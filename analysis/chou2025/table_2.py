"""Chou et al. 2025, Table 2: ViT-S/16 top-1 of AdamW, AdamC, Scion and both ScionC variants
across budgets;
the claim: ScionC matches Scion, with steadier norms.

Mean ± sample std over seeds per cell, beside the paper's numbers (`paper_table:` in
the sweep file); `harness table` prints other layouts.
"""

from analysis.tables import draw_table as draw

__all__ = ["draw"]
