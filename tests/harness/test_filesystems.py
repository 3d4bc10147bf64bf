"""The run lock's filesystem check: which mounts make flock node-local, read from
/proc/mounts-format text (no such mount is needed to test it)."""

from __future__ import annotations

from harness.filesystems import mount_of, node_local_lock_warning

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
10.0.0.1@tcp:/scratch /scratch lustre rw,localflock 0 0
10.0.0.1@tcp:/work /work2 lustre rw,flock 0 0
10.0.0.1@tcp:/old /old lustre rw 0 0
server:/home /home nfs4 rw,vers=4.2 0 0
server:/fast /fast nfs rw,nolock 0 0
"""


def test_the_deepest_mount_holding_the_path_is_found():
    assert mount_of("/scratch/me/results", MOUNTS)[:2] == ("/scratch", "lustre")
    assert mount_of("/work2/results", MOUNTS)[1] == "lustre"
    assert mount_of("/tmp/results", MOUNTS)[:2] == ("/", "ext4")


def test_node_local_locks_are_warned_about():
    assert "localflock: node-local" in node_local_lock_warning("/scratch/r", MOUNTS)
    assert "no flock option" in node_local_lock_warning("/old/r", MOUNTS)
    assert "nolock" in node_local_lock_warning("/fast/r", MOUNTS)
    for fine in ("/work2/r", "/home/me/r", "/tmp/r"):
        assert node_local_lock_warning(fine, MOUNTS) is None


def test_a_filesystem_refusing_flock_is_a_clear_error(tmp_path, monkeypatch):
    import errno

    import pytest

    from harness import launch
    from harness.sweep import Run, SweepError

    def refuse(*_):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(launch.fcntl, "flock", refuse)
    run = Run("s", "smoke", None, "abc")
    with pytest.raises(SweepError, match="refuses flock .*Lustre: mount with -o flock"):
        with launch.run_lock(tmp_path, run):
            pass
