"""What every optimizer here shares with torch's: the closure convention."""

from __future__ import annotations

import torch


def closure_loss(closure):
    """Re-evaluate the model (with gradients) if a closure is given, as torch.optim does."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()
