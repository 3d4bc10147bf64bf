"""SLURM execution through submitit: cluster profiles, one job array per sweep, requeue on
preemption, and the job records `harness status` / `cancel` read.

A profile is YAML (see slurm/profiles/). Each submitted run gets `job.json` in its folder;
the job itself runs `SlurmTrain`, which holds a lock on the run folder (a run never trains
twice at once), resumes from the run's checkpoint, and on a preemption or timeout signal saves
a checkpoint; on a time-limit warning (USR1/USR2) it also requeues itself, at most
`max_requeues` times (a SIGTERM is scancel, or a preemption SLURM requeues by itself).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from .checkpoint import Preempted
from .profile import ClusterProfile, load_profile  # noqa: F401  (re-exported)
from .runfolder import JOB_RECORD, atomic_write_text
from .sweep import SweepError


def check_partition(profile: ClusterProfile, path: str | Path) -> None:
    """Refuse an unknown partition before anything is submitted."""
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise SweepError(f"{path}: cannot reach SLURM (sinfo: {e})") from None
    partitions = sorted(set(out.split()))
    if profile.partition not in partitions:
        raise SweepError(f"{path}: partition: unknown {profile.partition!r}; this cluster "
                         f"has: {', '.join(partitions)}")


def executor(profile: ClusterProfile, folder: Path):
    import submitit

    ex = submitit.AutoExecutor(folder=folder / "%j", cluster="slurm")
    extra = {k: v for k, v in (("account", profile.account), ("qos", profile.qos),
                               ("constraint", profile.constraint)) if v}
    ex.update_parameters(
        slurm_partition=profile.partition, nodes=profile.nodes, timeout_min=profile.time_min,
        tasks_per_node=max(profile.gpus_per_node, 1), cpus_per_task=profile.cpus_per_task,
        mem_gb=profile.mem_gb, slurm_array_parallelism=profile.array_parallelism,
        slurm_setup=list(profile.setup), slurm_additional_parameters=extra,
        **({"gpus_per_node": profile.gpus_per_node} if profile.gpus_per_node else {}))
    return ex


REQUEUE_WAIT_S = 120  # at most: SLURM kills a requeued job's tasks within seconds


class SlurmTrain:
    """What a SLURM task runs: train one run with a folder lock and self-requeue."""

    def __init__(self, max_requeues: int, micro_batch: int | None = None):
        self.max_requeues, self.micro_batch = max_requeues, micro_batch

    def __call__(self, config, folder: Path, data_root, checkpoint_every, keep_final=False):
        from .run import train
        from .sweep import RunConfig

        if isinstance(config, dict):  # submitted as plain data (launch._submit_slurm)
            config = RunConfig.model_validate(config)

        if int(os.environ.get("SLURM_NTASKS", "1")) > 1:  # one task per GPU: DDP
            import submitit

            # LOCAL_RANK picks the GPU (distributed.setup), so keep every GPU visible.
            submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
        rank = int(os.environ.get("RANK", "0"))
        # Rank 0 holds the folder lock for the job (other jobs for the run must wait).
        with open(folder / (".lock" if rank == 0 else f".rank{rank}"), "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(f"{folder} is being trained by another job") from None
            try:
                return train(config, folder, data_root, progress=False,
                             checkpoint_every=checkpoint_every,
                             micro_batch=getattr(self, "micro_batch", None),
                             keep_final=keep_final)
            except Preempted as stopped:
                # USR1/USR2 warn of a time limit (submitit asks for USR2): requeue ourselves.
                # SIGTERM is scancel, or a preemption SLURM requeues by itself: don't. A rank
                # that stopped because another was signalled (signum None) follows rank 0.
                restarts = int(os.environ.get("SLURM_RESTART_COUNT", "0"))
                warned = stopped.signum in (signal.SIGUSR1, signal.SIGUSR2) or \
                    (stopped.signum is None and rank != 0)
                if warned and restarts < self.max_requeues:
                    requeued = rank != 0 or subprocess.run(
                        ["scontrol", "requeue", os.environ["SLURM_JOB_ID"]],
                        check=False).returncode == 0
                    if requeued:
                        # Let SLURM end this attempt: a batch script that exits first can
                        # end the job as FAILED before the requeue lands (seen on the test
                        # cluster), and a failed job is not started again.
                        time.sleep(REQUEUE_WAIT_S)
                raise


def record_job(folder: Path, job_id: str) -> None:
    atomic_write_text(json.dumps({"job_id": job_id}) + "\n", folder / JOB_RECORD)


def recorded_job(folder: Path) -> str | None:
    try:
        return json.loads((folder / JOB_RECORD).read_text())["job_id"]
    except (OSError, ValueError, KeyError):
        return None


def recorded_jobs(folders: list[Path]) -> dict[Path, str]:
    """{folder: job id} for the folders that were submitted."""
    return {f: job for f in folders if (job := recorded_job(f))}


def job_states(job_ids: list[str]) -> dict[str, str]:
    """SLURM's state per job id (array tasks as 123_4), from squeue then sacct."""
    if not job_ids:
        return {}
    states: dict[str, str] = {}
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j",
                          ",".join(sorted({j.split("_")[0] for j in job_ids}))],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        job, _, state = line.partition("|")
        states[job] = state.split()[0] if state else "UNKNOWN"
    out = subprocess.run(["squeue", "-h", "-r", "-o", "%i|%T"], capture_output=True,
                         text=True).stdout  # fresher than sacct, which lags seconds behind
    for line in out.splitlines():
        job, _, state = line.partition("|")
        states[job] = state
    return {j: states.get(j, "UNKNOWN") for j in job_ids}
