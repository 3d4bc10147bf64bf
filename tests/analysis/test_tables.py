"""`harness table`: mean ± sample std per cell from fake results written as the harness
writes them (config.yaml, metrics.parquet with METRICS_SCHEMA, DONE last)."""

from __future__ import annotations

import copy
import io
from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.chou2025 import table_3 as chou_table_3
from analysis.load import ResultsError
from analysis.report import artifact_claims
from analysis.tables import CLASSES, build, draw_table, render
from harness.cli import main
from harness.sweep import SweepError, expand

SWEEP = {"name": "tbl", "paper": "chou2025", "figure": "table2", "model": "resnet", "depth": 8,
         "width": 4, "dataset": "synthetic", "optimizer": "sgd", "lr": 0.1, "batch_size": 32,
         "scales": {"smoke": {}},
         "grid": {"epochs": [1, 2], "optimizer": ["sgd", "adamw"], "seed": [0, 1, 2]}}
# Final eval_accuracy per seed; None = started but not DONE; seeds past the list never ran.
ACC = {(1, "sgd"): [0.70, 0.72, 0.74],   # 72.00 ± 2.00
       (1, "adamw"): [0.80, 0.81, 0.85],  # 82.00 ± √7 = 2.6458
       (2, "sgd"): [0.75, 0.77, None],    # 76.00 ± √2 = 1.4142, 2 of 3 seeds
       (2, "adamw"): []}                  # no run: —
PAPER = {"source": "Chou et al. 2025, Table 2", "metric": "eval_accuracy",
         "rows": {1: {"sgd": "71.50 ± 0.50", "adamw": [80.0, 1.0]},
                  300: {"sgd": "79.73 ± 0.12"}}}


def table_run(accuracy, done=True):
    """fake_run's keywords: three logged steps, the final value is the last non-null one."""
    return {"steps": [0, 1, 2], "meta": {"paper": "chou2025", "figure": "table2"},
            "metrics": {"samples_per_s": 100.0, "loss": [2.0, 1.5, 1.0],
                        "eval_loss": [2.0, 1 - accuracy, None],
                        "eval_accuracy": [0.1, accuracy, None]},
            "done": done and {"steps": 3, "eval_accuracy": accuracy}}


def populate(fake_run, path, results, acc, key=lambda c: (int(c.epochs), c.optimizer)):
    """Fake results for every run of the sweep that `acc` lists, by seed index."""
    folders = {}
    for run in expand(path, "smoke"):
        values = acc.get(key(run.config), [])
        index = run.config.seed
        if index < len(values):
            value = values[index]
            folders[run.run_id] = fake_run(results, run,
                                           **table_run(value or 0.0, done=value is not None))
    return folders


@pytest.fixture
def results(tmp_path, write_sweep, fake_run):
    path = write_sweep(SWEEP)
    populate(fake_run, path, tmp_path / "results", ACC)
    return path, tmp_path / "results"


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["table", *map(str, args), "--scale", "smoke"])
    out, err = capsys.readouterr()
    return code, out, err


def test_mean_and_sample_std_per_cell(results):
    path, res = results
    table = build(path, "smoke", res)
    assert (table.rows_key, table.cols_key) == ("epochs", "optimizer")
    assert (table.rows, table.cols) == (["1", "2"], ["sgd", "adamw"])
    cell = table.cells[("1", "sgd")]
    assert (cell.mean, cell.std, len(cell.values), cell.expected) == pytest.approx((72, 2, 3, 3))
    assert table.cells[("1", "adamw")].std == pytest.approx(7 ** 0.5)
    partial = table.cells[("2", "sgd")]
    assert (partial.mean, partial.std, len(partial.values), partial.expected) == \
        pytest.approx((76, 2 ** 0.5, 2, 3))
    assert table.cells[("2", "adamw")].values == []
    text = render(table)
    assert text.splitlines()[0] == ("tbl [smoke]: final eval_accuracy (%); rows epochs, "
                                    "columns optimizer")
    for shown in ("72.00 ± 2.00", "82.00 ± 2.65", "76.00 ± 1.41 (2/3)", "—"):
        assert shown in text
    grid = text.splitlines()[1:5]  # header, rule, two rows: aligned to one width
    assert len({len(line) for line in grid}) == 1
    assert grid[0].split() == ["epochs", "\\", "optimizer", "sgd", "adamw"]
    assert grid[3].split()[0] == "2" and grid[3].endswith("—")
    assert "best" not in text  # no key besides the seed varies inside a cell


def test_single_seed_rows_in_steps_and_loss_metric(tmp_path, write_sweep, fake_run):
    sweep = {**copy.deepcopy(SWEEP), "steps": 5, "grid": {"optimizer": ["sgd", "adamw"]}}
    path = write_sweep(sweep)
    populate(fake_run, path, tmp_path, {"sgd": [0.7], "adamw": [0.55]}, key=lambda c: c.optimizer)
    table = build(path, "smoke", tmp_path)
    assert table.rows_key == "steps" and table.rows == ["5"]  # no epochs: rows fall back
    text = render(table)
    assert "70.00" in text and "55.00" in text and "±" not in text.splitlines()[3]
    loss = render(build(path, "smoke", tmp_path, metric="eval_loss"))
    assert "0.3" in loss and "(%)" not in loss  # not a percentage: 4 significant digits


def test_best_setting_per_cell_by_mean(tmp_path, write_sweep, fake_run):
    sweep = copy.deepcopy(SWEEP)
    sweep["grid"] = {"epochs": [1], "optimizer": ["sgd", "adamw"], "lr": [0.1, 0.01],
                     "seed": [0, 1]}
    path = write_sweep(sweep)
    acc = {("sgd", 0.1): [0.60, 0.62], ("sgd", 0.01): [0.70, 0.72],
           ("adamw", 0.1): [0.90, 0.80], ("adamw", 0.01): [0.50]}
    populate(fake_run, path, tmp_path, acc, key=lambda c: (c.optimizer, c.lr))
    table = build(path, "smoke", tmp_path)
    assert table.cells[("1", "sgd")].setting == "lr=0.01"
    assert table.cells[("1", "sgd")].mean == pytest.approx(71)
    assert table.cells[("1", "adamw")].setting == "lr=0.1"
    assert table.chosen_by == ["lr"]
    assert "best lr per cell (highest mean eval_accuracy)" in render(table)
    by_loss = build(path, "smoke", tmp_path, metric="eval_loss")  # lower is better
    assert by_loss.cells[("1", "sgd")].setting == "lr=0.01"
    assert by_loss.cells[("1", "adamw")].mean == pytest.approx(0.15)
    frame = pd.read_csv(io.StringIO(render(table, "csv")))
    assert list(frame["setting"]) == ["lr=0.01", "lr=0.1"]


def test_formats_parse(results):
    path, res = results
    table = build(path, "smoke", res)
    frame = pd.read_csv(io.StringIO(render(table, "csv")))
    assert list(frame.columns) == ["row", "col", "mean", "std", "n", "n_expected", "setting"]
    assert list(zip(frame["row"], frame["col"])) == [(1, "sgd"), (1, "adamw"),
                                                     (2, "sgd"), (2, "adamw")]
    assert list(frame["mean"][:3]) == pytest.approx([72, 82, 76])
    assert list(frame["std"][:3]) == pytest.approx([2, 7 ** 0.5, 2 ** 0.5])
    assert list(frame["n"]) == [3, 3, 2, 0] and list(frame["n_expected"]) == [3, 3, 3, 3]
    assert frame["mean"].isna().tolist() == [False, False, False, True]

    md = render(table, "md").splitlines()
    assert md[0] == "**tbl [smoke]: final eval_accuracy (%); rows epochs, columns optimizer**"
    rows = [line for line in md if line.startswith("|")]
    assert len(rows) == 4 and all(line.count("|") == 4 for line in rows)  # 3 columns
    assert rows[1] == "|---|---:|---:|"

    tex = render(table, "tex")
    lines = tex.splitlines()
    assert lines[0].startswith("% tbl [smoke]")
    body = lines[lines.index(r"\midrule") + 1:lines.index(r"\bottomrule")]
    assert r"\begin{tabular}{lrr}" in lines and r"\toprule" in lines
    assert body == [r"1 & 72.00 $\pm$ 2.00 & 82.00 $\pm$ 2.65 \\",
                    r"2 & 76.00 $\pm$ 1.41 (2/3) & --- \\"]
    assert lines[-1] == r"\end{tabular}"


def test_compare_paper_via_cli(results, capsys):
    path, res = results
    path.write_text(path.read_text() + "\n" + __import__("yaml").safe_dump(
        {"paper_table": PAPER}, allow_unicode=True))
    code, out, err = cli(capsys, path, "--results", res, "--compare-paper")
    assert code == 0, err
    assert "72.00 ± 2.00 (paper 71.50 ± 0.50)" in out
    assert "82.00 ± 2.65 (paper 80.00 ± 1.00)" in out
    assert "paper: Chou et al. 2025, Table 2; 1 paper cell(s) not in this sweep" in out
    code, out, _ = cli(capsys, path, "--results", res, "--compare-paper", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame["paper_mean"][:2]) == [71.5, 80.0]
    assert list(frame["paper_std"][:2]) == [0.5, 1.0]
    code, out, _ = cli(capsys, path, "--results", res)  # without the flag: ours only
    assert "paper" not in out


def test_table_block_sets_layout_and_flags_override(results, capsys):
    path, res = results
    path.write_text(path.read_text() + "\ntable: {rows: optimizer, cols: epochs}\n")
    code, out, err = cli(capsys, path, "--results", res, "--format", "md")
    assert code == 0, err
    assert "| optimizer \\ epochs | 1 | 2 |" in out
    code, out, _ = cli(capsys, path, "--results", res, "--rows", "epochs", "--cols",
                       "optimizer,seed", "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert len(frame) == 12 and frame["n_expected"].eq(1).all()
    assert frame["col"][0] == "sgd/0"


def test_user_errors_exit_2(results, capsys):
    path, res = results
    code, _, err = cli(capsys, path, "--results", res, "--compare-paper")
    assert code == 2 and "paper_table" in err
    code, _, err = cli(capsys, path, "--results", res, "--rows", "epoch")
    assert code == 2 and "--rows epoch: unknown key (did you mean 'epochs'?)" in err
    code, _, err = cli(capsys, path, "--results", res, "--metric", "accuracy")
    assert code == 2 and "no column 'accuracy'" in err and "eval_accuracy" in err
    bad = {**PAPER, "rows": {1: {"sgd": "about 70"}}}
    path.write_text(path.read_text() + "\n" + __import__("yaml").safe_dump({"paper_table": bad}))
    code, _, err = cli(capsys, path, "--results", res, "--compare-paper")
    assert code == 2 and "paper_table.rows.1.sgd: got 'about 70'" in err
    path.write_text(path.read_text() + "\nlr_typo: 1\n")  # other keys are still checked
    code, _, err = cli(capsys, path, "--results", res)
    assert code == 2 and f"{path}: lr_typo: unknown key" in err


def test_corrupt_parquet_is_an_error_naming_the_file(tmp_path, write_sweep, fake_run, capsys):
    path = write_sweep(SWEEP)
    folders = populate(fake_run, path, tmp_path, ACC)
    broken = next(iter(folders.values())) / "metrics.parquet"
    broken.write_bytes(broken.read_bytes()[:40])  # truncated, as by a full disk
    with pytest.raises(ResultsError, match="unreadable Parquet"):
        build(path, "smoke", tmp_path)
    code, _, err = cli(capsys, path, "--results", tmp_path)
    assert code == 2 and str(broken) in err and "re-run the sweep" in err


def test_missing_sweep_scale_is_a_sweep_error(results):
    path, res = results
    with pytest.raises(SweepError, match="does not define scale 'paper'"):
        build(path, "paper", res)


# ---- draw_table's premise, for every table artifact: the models learn (every cell with
# complete runs at least halfway from chance to 100 %; 55 % with 10 classes).

def test_table_premise_models_learn(tmp_path, write_sweep, fake_run):
    path = write_sweep(SWEEP)
    every = {(e, o): [0.70, 0.72, 0.74] for e in (1, 2) for o in ("sgd", "adamw")}
    for name, acc in (("learns", every), ("stuck", {**every, (1, "sgd"): [0.30, 0.31, 0.32]})):
        populate(fake_run, path, tmp_path / name, acc)
    learns = draw_table(path, "smoke", tmp_path / "learns", tmp_path / "out")
    assert learns["premises"] == {"models_learn": True}  # lowest cell 72 % ≥ 55 %
    assert learns["verdicts"][0].startswith("PREMISE MET")
    stuck = draw_table(path, "smoke", tmp_path / "stuck", tmp_path / "out")
    assert stuck["premises"] == {"models_learn": False}
    assert "31.00 % (1/sgd; needs ≥ 55.0 %" in stuck["verdicts"][0]
    assert stuck["markdown"].startswith("PREMISE NOT MET")
    for name, status in (("learns", "table (4/4 cells)"), ("stuck", "not shown (premise not met)")):
        entry = artifact_claims(SimpleNamespace(module=chou_table_3, sweep_file=str(path)),
                                "smoke", str(tmp_path / name), tmp_path / "r")
        assert entry["status"] == status


def test_a_loss_table_has_no_accuracy_premise(tmp_path, write_sweep, fake_run):
    path = write_sweep({**SWEEP, "table": {"metric": "eval_loss"}})
    populate(fake_run, path, tmp_path / "results", ACC)
    assert "premises" not in draw_table(path, "smoke", tmp_path / "results", tmp_path / "out")


def test_chance_classes_match_the_datasets():
    from harness.data import SHAPES  # imports torch: the analysis keeps its own copy

    assert CLASSES == {name: classes for name, (_, classes, _) in SHAPES.items()}
