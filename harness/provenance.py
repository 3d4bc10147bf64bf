"""Which code made a run, recorded under "provenance" in its DONE, and whether a complete run
was made by the training code checked out now.

A run is judged by `training_hash`, a hash of the files in TRAINING_CODE as they are on disk:
unlike a commit it also sees uncommitted edits, survives rebases, and needs no git (a copy of
the tree without .git is judged too). The commits are recorded to say *which* code it was.
Imports no torch: package versions come from the installed packages' metadata.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path

from .runfolder import ResultsError, is_complete, read_done

REPO = Path(__file__).resolve().parents[1]
# The files whose edits can change what a run computes: the training loop, optimizers, models,
# data, config defaults (sweep.py), checkpoint/resume, DDP, logging, the noise simulation.
# Left out, as they only start, place or report runs: cli, launch, slurm, status, cost,
# profile, rehearse, inspect_params, data_commands, runfolder, provenance, and analysis/.
TRAINING_CODE = ("harness/run.py", "harness/optim", "harness/models", "harness/data",
                 "harness/sweep.py", "harness/yamlfile.py", "harness/checkpoint.py",
                 "harness/distributed.py", "harness/metrics.py", "harness/simulate.py")
# Inside TRAINING_CODE but run by tests only (the float64 references): editing them changes
# no run, so it must not mark every run stale.
NOT_TRAINING = ("harness/optim/reference.py",)
PATHSPEC = (*TRAINING_CODE, *(f":(exclude){path}" for path in NOT_TRAINING))
VERSIONED = ("torch", "torchvision", "timm", "numpy")
SLURM_IDS = {"job_id": "SLURM_JOB_ID", "array_job_id": "SLURM_ARRAY_JOB_ID",
             "array_task_id": "SLURM_ARRAY_TASK_ID", "restart_count": "SLURM_RESTART_COUNT"}


def current() -> dict:
    """This process's provenance, computed once: git_commit, git_dirty, training_commit,
    training_dirty, training_hash, versions, hostname, slurm (None outside a SLURM job)."""
    return copy.deepcopy(_current())


@functools.cache
def _current() -> dict:
    return {**git_state(REPO), **training_code(REPO), "versions": versions(),
            "hostname": socket.gethostname(), "slurm": slurm_ids()}


def _git(root: Path, *args: str) -> str | None:
    """git's stdout in `root`, or None without git, outside a work tree, or on any error."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30, check=False,
                              # no index.lock: other processes may be committing meanwhile
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _is_own_repo(root: Path) -> bool:
    """`root` is a git work tree's top (not a folder inside some other repository)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    return top is not None and Path(top).resolve() == Path(root).resolve()


def git_state(root: Path = REPO) -> dict:
    """{git_commit, git_dirty} of the checkout; None for both where git cannot tell."""
    if not _is_own_repo(root):
        return {"git_commit": None, "git_dirty": None}
    status = _git(root, "status", "--porcelain")
    return {"git_commit": _git(root, "rev-parse", "HEAD"),
            "git_dirty": None if status is None else bool(status)}


def training_code(root: Path = REPO) -> dict:
    """{training_commit (the last commit touching TRAINING_CODE), training_dirty (uncommitted
    changes there), training_hash (their content)}; the git fields are None without git."""
    commit = dirty = None
    if _is_own_repo(root):
        commit = _git(root, "log", "-1", "--format=%H", "--", *PATHSPEC) or None
        status = _git(root, "status", "--porcelain", "--", *PATHSPEC)
        dirty = None if status is None else bool(status)
    return {"training_commit": commit, "training_dirty": dirty,
            "training_hash": training_hash(root)}


def training_hash(root: Path = REPO) -> str:
    """sha256 of TRAINING_CODE's files (names and bytes; caches left out)."""
    digest = hashlib.sha256()
    for entry in TRAINING_CODE:
        path = Path(root) / entry
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if ("__pycache__" in file.parts or file.suffix == ".pyc"
                    or file.relative_to(root).as_posix() in NOT_TRAINING):
                continue
            digest.update(file.relative_to(root).as_posix().encode() + b"\0")
            digest.update(file.read_bytes() if file.is_file() else b"(missing)")
            digest.update(b"\0")
    return digest.hexdigest()


def versions() -> dict:
    """Python's and the numerics packages' versions (None: not installed)."""
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def slurm_ids() -> dict | None:
    """The SLURM job, array task and restart count this process runs in; None outside SLURM."""
    if not os.environ.get("SLURM_JOB_ID"):
        return None
    return {key: os.environ.get(var) for key, var in SLURM_IDS.items()}


def _recorded(folder: Path) -> dict:
    """The provenance a complete run's DONE records ({} if none or unreadable)."""
    try:
        record = read_done(folder).get("provenance")
    except ResultsError:
        return {}
    return record if isinstance(record, dict) else {}


def code_status(folder: str | Path) -> str | None:
    """'current': the run's DONE records this checkout's training_hash; 'stale': another one;
    'unknown': none (made before runs recorded it); None: the run is not complete."""
    if not is_complete(folder):
        return None
    made_by = _recorded(Path(folder)).get("training_hash")
    if not made_by:
        return "unknown"
    return "current" if made_by == current()["training_hash"] else "stale"


def _label(record: dict) -> str:
    """A short name for the training code of a provenance record: its commit, marked when
    the tree had uncommitted changes there; the content hash where git was absent."""
    if record.get("training_commit"):
        return record["training_commit"][:7] + ("+uncommitted" if record.get("training_dirty")
                                                else "")
    if record.get("training_hash"):
        return f"code {record['training_hash'][:7]} (no git)"
    return "unrecorded"


def stale_note(folders: list[Path], rerun: bool) -> str | None:
    """One line on the complete runs among `folders` not made by the current training code
    (None if there are none); `rerun`: whether they are being trained again."""
    judged = [(f, code_status(f)) for f in folders]
    complete = sum(s is not None for _, s in judged)
    stale = [f for f, s in judged if s == "stale"]
    unknown = sum(s == "unknown" for _, s in judged)
    if not stale and not unknown:
        return None
    before = "(made before runs recorded it)"
    if stale:
        made = sorted({_label(_recorded(f)) for f in stale})
        shown = ", ".join(made[:3]) + (", …" if len(made) > 3 else "")
        line = (f"{len(stale)} of {complete} complete run(s) were made by other training code "
                f"({shown}; now {_label(current())})")
        line += f" and {unknown} record(s) none {before}" if unknown else ""
    else:
        line = f"{unknown} of {complete} complete run(s) record no training code {before}"
    return line + ("; training them again (--rerun-stale)" if rerun
                   else "; kept, --rerun-stale trains them again")
