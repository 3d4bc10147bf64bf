"""Does the run lock (fcntl.flock on RESULTS/<sweep>/<scale>/.locks/) hold across nodes on the
results folder's filesystem? Two `harness run`s on one node are always safe; across nodes:

- local disk (ext4, xfs, btrfs, tmpfs): one node, nothing to share;
- NFS v3/v4 (Linux ≥ 2.6.12): yes, emulated with POSIX byte-range locks through the NFS lock
  manager (v3 needs rpc.statd/lockd); a `nolock` mount makes it node-local;
- Lustre: only when mounted with `-o flock`; `localflock` (a common default) is node-local;
  with neither, flock fails;
- GPFS / Spectrum Scale, CephFS (kernel client), BeeGFS (with tuneUseGlobalFileLocks): yes.

The check reads /proc/mounts (Linux) for the mount holding the results folder and names the
case where two nodes could both train one run; a failing flock is reported by run_lock.
"""

from __future__ import annotations

from pathlib import Path

MOUNTS = Path("/proc/mounts")


def mount_of(path: str | Path, mounts_text: str | None = None) -> tuple[str, str, set[str]]:
    """(mount point, filesystem type, mount options) of the mount holding `path`."""
    if mounts_text is None:
        try:
            mounts_text = MOUNTS.read_text()
        except OSError:
            return "/", "unknown", set()
    target = Path(path).resolve()
    best = ("/", "unknown", set())
    for line in mounts_text.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        point = fields[1].replace("\\040", " ")
        if target.is_relative_to(point) and len(point) >= len(best[0]):
            best = (point, fields[2], set(fields[3].split(",")))
    return best


def node_local_lock_warning(path: str | Path, mounts_text: str | None = None) -> str | None:
    """A one-line warning when the run lock would hold on one node only although the results
    folder is shared between nodes; None when it holds (or nothing is shared)."""
    point, fstype, options = mount_of(path, mounts_text)
    where = f"{path} is on {fstype} ({point})"
    if fstype == "lustre" and "flock" not in options:
        how = "localflock: node-local" if "localflock" in options else "no flock option"
        return (f"warning: {where} mounted without -o flock ({how}): two nodes could train the "
                "same run at once; mount with -o flock or run each sweep from one node")
    if fstype.startswith("nfs") and "nolock" in options:
        return (f"warning: {where} mounted with nolock: the run lock is node-local; two nodes "
                "could train the same run at once")
    return None
