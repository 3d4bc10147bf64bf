"""Full training state to disk and back, and turning SLURM's warning signals into a checkpoint.

A checkpoint holds everything the next step depends on: model, optimizer, the batch stream's
position and generator, torch's RNG, and the step. Metric rows are flushed to the run's Parquet
files at the same moment, so a resumed run continues both from one consistent point.
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import zipfile
from contextlib import contextmanager
from pathlib import Path

import torch

from .runfolder import CHECKPOINT  # noqa: F401  (re-exported)

# SLURM sends SIGTERM before killing a job (and --signal=USR1@t before its time limit);
# submitit's local executor uses SIGUSR2 for its own timeout warning and SIGINT to cancel;
# SIGINT is also Ctrl-C: it too saves a checkpoint and stops.
PREEMPTION_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2)


class Preempted(RuntimeError):
    """The run saved a checkpoint after a preemption signal and stopped; re-run to resume."""

    def __init__(self, message: str, signum: int | None = None):
        super().__init__(message)
        self.signum = signum


def save(path: Path, state: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=Path(path).parent, prefix=".checkpoint.", suffix=".tmp")
    os.close(fd)
    try:
        try:
            torch.save(state, tmp)
        except RuntimeError as e:  # torch's zip writer reports a short write this way
            if shutil.disk_usage(Path(path).parent).free < 2 * os.path.getsize(tmp) + 2**20:
                raise OSError(errno.ENOSPC, "No space left on device", str(path)) from e
            raise
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> dict:
    # Our own file, holding generator states and tensors only.
    return torch.load(path, map_location="cpu", weights_only=False)


# What torch.load raises on a truncated or garbled file (not on code errors after a refactor).
DAMAGED = (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError)


def load_or_discard(path: Path, set_aside: bool = True) -> dict | None:
    """The checkpoint at `path`, or None if there is none or it is damaged (truncated by a
    full disk, say): then it is renamed `*.corrupt` (by the one process told to) and
    reported, and the run starts over: a fresh start is right, a crash is not."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return load(path)
    except DAMAGED as e:
        aside = path.with_name(path.name + ".corrupt")
        if set_aside:
            try:
                os.replace(path, aside)
            except FileNotFoundError:
                pass  # already set aside
            print(f"warning: {path} is unreadable ({type(e).__name__}); moved to "
                  f"{aside.name}, training from the start", file=sys.stderr)
        return None


def rng_state() -> dict:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class StopFlag:
    requested: int | None = None  # the signal number, once one arrived


@contextmanager
def preemption_guard():
    """While active, the preemption signals set a flag instead of killing the process, so
    the loop can finish its step, checkpoint and raise Preempted."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag  # signal handlers can only be installed from the main thread
        return

    def handler(signum, frame):
        flag.requested = signum

    previous = {s: signal.signal(s, handler) for s in PREEMPTION_SIGNALS}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
