"""Run files are created with the user's umask (0644 under 022), not mkstemp's 0600: labmates
on a shared cluster filesystem must be able to read them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pyarrow as pa

from harness.runfolder import atomic_write_parquet, atomic_write_text


def test_atomic_writes_follow_the_umask(tmp_path):
    atomic_write_text("x\n", tmp_path / "DONE")
    atomic_write_parquet([{"a": 1}], pa.schema([("a", pa.int64())]), tmp_path / "m.parquet")
    mask = os.umask(0)
    os.umask(mask)
    for name in ("DONE", "m.parquet"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask


def test_a_stricter_umask_is_honoured(tmp_path):
    # the mode is read at import: a process started under umask 077 writes 0600 files
    code = ("import os; os.umask(0o077); from pathlib import Path; "
            "from harness.runfolder import atomic_write_text; "
            f"atomic_write_text('x', Path({str(tmp_path / 'DONE')!r}))")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert stat.S_IMODE((tmp_path / "DONE").stat().st_mode) == 0o600
