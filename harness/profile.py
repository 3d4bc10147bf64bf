"""Cluster profiles (slurm/profiles/*.yaml): where and how a sweep's jobs run on SLURM.

Kept apart from harness/slurm.py, which imports torch, so that a wrong profile is refused at
once, before any heavy import.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .sweep import SweepError, check_keys
from .yamlfile import YamlFileError, load_yaml


class ClusterProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    partition: str
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    nodes: int = Field(1, gt=0)
    gpus_per_node: int = Field(0, ge=0)
    cpus_per_task: int = Field(1, gt=0)
    mem_gb: float = Field(4, gt=0)
    time_min: int = Field(60, gt=0, description="wall-clock limit in minutes")
    array_parallelism: int = Field(8, gt=0)
    max_requeues: int = Field(3, ge=0)
    data_root: str | None = None
    gpu: str | None = Field(None, description="GPU model, for harness plan --cost (H100, A100, "
                            "...)")
    micro_batch_size: int | None = Field(
        None, gt=0, description="rows per forward/backward on each GPU; the global batch is "
        "the sweep's, reached by gradient accumulation (None: each GPU's whole share)")
    setup: list[str] = []


def load_profile(path: str | Path) -> ClusterProfile:
    """Read and validate a profile; errors name the file, the key and what is allowed."""
    path = Path(path)
    try:
        raw = load_yaml(path, "cluster profile")
    except YamlFileError as e:
        raise SweepError(str(e)) from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise SweepError(f"{path}: (top): a cluster profile must be a YAML mapping of "
                         "key: value; keys: " + ", ".join(ClusterProfile.model_fields))
    check_keys(path, "", raw, tuple(ClusterProfile.model_fields))
    try:
        return ClusterProfile.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise SweepError(f"{path}: {key}: got {err.get('input')!r}: {err['msg']}") from None
