"""Runs that start where another run ended (`init_from`): re-warming, continued training.

A run with `init_from: {steps: 600, warmup_steps: 0}` starts from the final state of its
*parent*: its own config with those keys changed and no `init_from`. What carries over is what
a resumed checkpoint holds, less the schedule: the weights, the optimizer's per-parameter
state (moments, step counts; the child's own lr, decay and betas stay its own), and, where
both read the same batches, the position in the data stream, so the child sees new data.
A child with another optimizer than its parent's starts from the weights alone.

The parent is an ordinary run of the same sweep: `expand` lists it before its children and
marks it to keep its final state (`final_state.pt`, beside DONE), which no other run keeps
(a 184M-parameter state is 2 GB). The launcher trains a missing parent first, or waits for
the process that trains it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .sweep import Run, RunConfig, run_id

FINAL_STATE = "final_state.pt"
# Keys that decide which batches a stream yields: a child continues its parent's stream only
# where all of them agree (otherwise it starts its own, from its seed).
STREAM_KEYS = ("dataset", "batch_size", "seed", "seq_len", "image_size", "augment",
               "label_noise", "crop_scale_min", "randaugment", "train_holdout")


def parent_config(cfg: RunConfig) -> RunConfig:
    """The config of the run `cfg` starts from (ValueError from pydantic if it is invalid)."""
    values = cfg.model_dump(exclude={"init_from"})
    values.update(cfg.init_from or {})
    return RunConfig.model_validate(values)


def parent_run(run: Run) -> Run | None:
    """The run `run` starts from, in the same sweep and scale; None for a run from scratch."""
    if not getattr(run.config, "init_from", None):
        return None
    parent = parent_config(run.config)
    return Run(run.sweep, run.scale, parent, run_id(parent), keep_final=True)


def with_parents(runs: list[Run]) -> list[Run]:
    """`runs` with every child's parent listed (once, marked to keep its final state) before
    the first run that needs it."""
    pairs = [(run, parent_run(run)) for run in runs]
    parents = {p.run_id for _, p in pairs if p is not None}
    out, seen = [], set()
    for run, parent in pairs:
        if parent is not None and parent.run_id not in seen:
            out.append(parent)
            seen.add(parent.run_id)
        if run.run_id not in seen:
            out.append(replace(run, keep_final=True) if run.run_id in parents else run)
            seen.add(run.run_id)
    return out


def has_final_state(folder: Path) -> bool:
    return (Path(folder) / FINAL_STATE).is_file()


def final_state(model, optimizer, batches) -> dict:
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "batches": batches.state_dict()}


def with_moments(own: dict, parent: dict) -> dict:
    """The child's optimizer state dict holding the parent's per-parameter state; its param
    groups (lr, decay, betas: the child's hyperparameters) stay the child's."""
    if "optimizers" in own:  # Muon + AdamW as one (harness/optim/muon.Combined)
        return {"optimizers": [with_moments(o, p) for o, p in
                               zip(own["optimizers"], parent["optimizers"], strict=True)]}
    return {**own, "state": parent["state"]}


def start_from_parent(cfg: RunConfig, out_dir: Path, model, optimizer, batches) -> None:
    """Load the parent's final state into a fresh child. Raises a clear error when the parent
    has not finished with its final state kept."""
    from . import checkpoint  # torch: only where a run trains

    parent = parent_config(cfg)
    folder = Path(out_dir).parent / run_id(parent)
    if not has_final_state(folder):
        raise FileNotFoundError(
            f"{out_dir}: init_from needs parent run {folder.name} finished with its "
            f"{FINAL_STATE}, and {folder} has none: launch the sweep (`harness run` trains "
            "parents first) rather than the child alone")
    state = checkpoint.load(folder / FINAL_STATE)
    model.load_state_dict(state["model"])
    if parent.optimizer == cfg.optimizer:  # another optimizer's moments would not fit
        optimizer.load_state_dict(with_moments(optimizer.state_dict(), state["optimizer"]))
    if all(getattr(cfg, k) == getattr(parent, k) for k in STREAM_KEYS):
        batches.load_state_dict(state["batches"])
