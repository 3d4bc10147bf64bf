"""`harness export`: a sweep's complete fake runs (conftest, nothing trains) as CSV / Parquet
equal to the run Parquet, as TensorBoard events read back with TensorBoard's own reader, and as
W&B offline runs whose .wandb files hold the logged history, with no request to any server."""

from __future__ import annotations

import http.server
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

import pandas as pd
import pytest
from conftest import CLAIMS_SWEEP

from harness.cli import main
from harness.export import WANDB_ENV
from harness.runfolder import LAYERS, METRICS, read_frame
from harness.sweep import expand, run_dir

SWEEP = {**CLAIMS_SWEEP, "name": "export-test", "grid": {"lr": [0.01, 0.02, 0.04]}}
STEPS = range(0, 10, 2)


def _how(cfg):
    """lr 0.04 is left incomplete; lr 0.02's DONE records its own final accuracy."""
    done = {"steps": 10, "eval_accuracy": 0.9} if cfg.lr == 0.02 else cfg.lr != 0.04
    return {"steps": STEPS, "metrics": {"loss": lambda t: 3.0 - cfg.lr * t},
            "layers": {"h.0.w": {"weight_norm": lambda t: 1.0 + cfg.lr * t}, "head.w": {}},
            "final": {"eval_loss": 1.5, "eval_accuracy": 0.5}, "done": done}


@pytest.fixture
def sweep(fake_sweep):
    """(sweep file, results folder, complete runs, the incomplete run)."""
    path, results = fake_sweep(SWEEP, _how)
    runs = expand(path, "smoke")
    return path, results, [r for r in runs if r.config.lr != 0.04], next(
        r for r in runs if r.config.lr == 0.04)


def _export(sweep, *args) -> int:
    path, results, _, _ = sweep
    return main(["export", str(path), "--scale", "smoke", "--results", str(results), *args])


def _expected(results, runs, name) -> pd.DataFrame:
    frames = [read_frame(run_dir(results, r) / name).assign(run_id=r.run_id) for r in runs]
    table = pd.concat(frames, ignore_index=True)
    return table[["run_id", *[c for c in table.columns if c != "run_id"]]]


def test_metrics_csv_and_layers_parquet_round_trip(sweep, tmp_path, capsys):
    _, results, done, incomplete = sweep
    assert _export(sweep, "--what", "metrics", "--out", str(tmp_path / "m.csv")) == 0
    err = capsys.readouterr().err
    assert f"1 of 3 run(s) not complete, left out: {incomplete.run_id} (incomplete)" in err
    csv = pd.read_csv(tmp_path / "m.csv", dtype={"run_id": str})
    expected = _expected(results, done, METRICS)
    pd.testing.assert_frame_equal(csv, expected, check_dtype=False)
    assert _export(sweep, "--what", "layers", "--out", str(tmp_path / "l.parquet")) == 0
    layers = pd.read_parquet(tmp_path / "l.parquet")
    expected = _expected(results, done, LAYERS)
    pd.testing.assert_frame_equal(layers.astype({"layer": str, "kind": str}),
                                  expected.astype({"layer": str, "kind": str}))


def test_runs_table_has_each_complete_run_with_its_final_numbers(sweep, tmp_path):
    assert _export(sweep, "--format", "parquet", "--out", str(tmp_path / "runs.pq")) == 0
    runs = pd.read_parquet(tmp_path / "runs.pq").set_index("lr")
    assert runs.index.tolist() == [0.01, 0.02] and set(runs["state"]) == {"done"}
    assert runs["run_id"].tolist() == [r.run_id for r in sweep[2]]
    # DONE's number where it has one, else the last logged value
    assert runs["final_eval_accuracy"].tolist() == [0.5, 0.9]
    assert runs["final_loss"].tolist() == pytest.approx([3.0 - 0.01 * 8, 3.0 - 0.02 * 8])
    assert runs["final_eval_loss"].tolist() == [1.5, 1.5]


def test_tensorboard_events_read_back(sweep, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    _, _, done, _ = sweep
    out = tmp_path / "tb"
    for _ in range(2):  # a second export replaces the first, it does not add to it
        assert _export(sweep, "--to", "tensorboard", str(out)) == 0
    folders = sorted(p.name for p in out.iterdir())
    assert folders == sorted(f"{r.run_id}_lr={r.config.lr}" for r in done)
    for run in done:
        events = EventAccumulator(str(out / f"{run.run_id}_lr={run.config.lr}"),
                                  size_guidance={"scalars": 0, "tensors": 0})
        events.Reload()
        tags = set(events.Tags()["scalars"])
        assert {"metrics/loss", "metrics/lr", "metrics/eval_accuracy",
                "layers/h.0.w/weight_norm", "layers/head.w/grad_norm"} <= tags
        loss = [(e.step, e.value) for e in events.Scalars("metrics/loss")]
        assert loss == [(t, pytest.approx(3.0 - run.config.lr * t)) for t in STEPS]
        norm = [(e.step, e.value) for e in events.Scalars("layers/h.0.w/weight_norm")]
        assert norm == [(t, pytest.approx(1.0 + run.config.lr * t)) for t in STEPS]
        start = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        hparams = plugin_data_pb2.HParamsPluginData.FromString(start).session_start_info.hparams
        assert hparams["lr"].number_value == pytest.approx(run.config.lr)
        assert hparams["optimizer"].string_value == run.config.optimizer


def _wandb_records(path):
    """The protobuf records of a .wandb file: W&B's header, then LevelDB's log format (32 KiB
    blocks of chunks: crc32 of type + data, length, type FULL/FIRST/MIDDLE/LAST)."""
    from wandb.proto import wandb_internal_pb2

    data, block = path.read_bytes(), 32768
    assert struct.unpack("<4sHB", data[:7]) == (b":W&B", 0xBEE1, 0)
    pos, pending = 7, b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk = data[pos + 7:pos + 7 + length]
        assert zlib.crc32(chunk, zlib.crc32(bytes([kind]))) == crc, f"{path}: bad chunk"
        pos, pending = pos + 7 + length, pending + chunk
        if kind in (1, 4):  # FULL or LAST: a whole record
            yield wandb_internal_pb2.Record.FromString(pending)
            pending = b""


class _Counting(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def _any(self):
        self.requests.append(self.path)
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_PUT = _any

    def log_message(self, *args):
        pass


def test_wandb_offline_runs_hold_the_history_and_send_nothing(sweep, tmp_path, monkeypatch):
    for name in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    # wandb's scratch folders (made on import, in this process and `wandb sync`'s) go here too
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # any request W&B made would land here instead of its cloud
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    _, _, done, _ = sweep
    out = tmp_path / "wb"
    try:
        for _ in range(2):  # exporting again replaces the runs' earlier offline folders
            assert _export(sweep, "--to", "wandb", str(out)) == 0
    finally:
        server.shutdown()
    assert _Counting.requests == []
    assert not any(k in os.environ for k in WANDB_ENV)  # the export's settings went with it
    files = sorted((out / "wandb").glob("offline-run-*/*.wandb"))
    expected = sorted(f"run-export-test-smoke-{r.run_id}" for r in done)
    assert sorted(f.stem for f in files) == expected  # (folders sort by start time, not id)
    for run in done:
        path = next(f for f in files if f.stem.endswith(run.run_id))
        records = list(_wandb_records(path))
        history = {}
        for r in records:
            if r.WhichOneof("record_type") == "history":
                items = {i.key or "/".join(i.nested_key): json.loads(i.value_json)
                         for i in r.history.item}
                history[r.history.step.num] = items
        assert sorted(history) == list(STEPS)
        assert [history[t]["metrics/loss"] for t in STEPS] == pytest.approx(
            [3.0 - run.config.lr * t for t in STEPS])
        assert history[8]["layers/h.0.w/weight_norm"] == pytest.approx(1.0 + run.config.lr * 8)
        started = next(r.run for r in records if r.WhichOneof("record_type") == "run")
        assert (started.run_id, started.display_name) == (f"export-test-smoke-{run.run_id}",
                                                           run.run_id)
        config = {u.key: json.loads(u.value_json) for u in started.config.update}
        assert config["lr"] == run.config.lr and config["run_id"] == run.run_id
    # what `wandb sync` would upload, listed without uploading (--dry-run)
    listed = subprocess.run([sys.executable, "-m", "wandb", "sync", "--dry-run",
                             str(out / "wandb")], capture_output=True, text=True,
                            env={**os.environ, **WANDB_ENV}, timeout=120)
    assert f"Would sync {len(done)} run(s)" in listed.stdout + listed.stderr


def test_errors(sweep, tmp_path, capsys):
    path, results, _, _ = sweep
    assert _export(sweep, "--to", "mlflow", str(tmp_path)) == 2
    assert "--to mlflow: allowed: tensorboard, wandb" in capsys.readouterr().err
    assert _export(sweep, "--to", "wandb", str(tmp_path), "--out", "x.csv") == 2
    assert _export(sweep, "--format", "parquet") == 2
    assert "needs --out" in capsys.readouterr().err
    assert main(["export", str(path), "--scale", "smoke", "--results",
                 str(tmp_path / "nothing")]) == 2
    assert "no complete run" in capsys.readouterr().err


def test_a_re_export_removes_only_that_run_s_offline_folders(tmp_path):
    from harness.export import _remove_earlier_export

    for name in ("offline-run-20260101_000000-b-smoke-x", "offline-run-20260101_000000-a-b-smoke-x",
                 "offline-run-20260101_000000-b-smoke-xy"):
        (tmp_path / name).mkdir()
    _remove_earlier_export(tmp_path, "b-smoke-x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "offline-run-20260101_000000-a-b-smoke-x", "offline-run-20260101_000000-b-smoke-xy"]
