"""The results page (analysis/results_page.py) built from fake results: one section per
artifact with its claim lines, its inlined figure, a runs table with a row per run of its
sweep, and a plotly figure with every complete run's traces; then the same page in a real
browser (Debian's chromium through Playwright): it loads without console errors, every figure
renders, a legend click hides a run, a header click sorts a table."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from conftest import CLAIMS_SWEEP, write_fake_run  # noqa: E402
from PIL import Image  # noqa: E402

from analysis import style  # noqa: E402
from analysis.load import load_runs  # noqa: E402
from analysis.report import artifact_claims  # noqa: E402
from analysis.results_curves import MAX_POINTS, thin  # noqa: E402
from analysis.results_page import FIGURE_PX, write_page  # noqa: E402
from harness.cli import main as harness  # noqa: E402
from harness.index import write_index  # noqa: E402
from harness.sweep import expand  # noqa: E402

LRS = [0.01, 0.02, 0.04]
STEPS = range(0, 1000, 2)  # 500 logged steps: thinned to MAX_POINTS
SIMULATION = {"name": "fake-sim", "kind": "simulation", "size": 100, "lr": 0.01,
              "weight_decay": 10.0, "grid": {"schedule": ["constant", "cosine"]},
              "scales": {"smoke": {"half_lives": 2, "log_points": 50}}}


def _drawing(shown: bool):
    """A fake artifact module: draws its runs' losses and judges one claim as `shown`."""

    def draw(sweep_file, scale, results, out_dir):
        runs = load_runs(sweep_file, scale, results)
        fig, ax = plt.subplots(figsize=(8, 4))
        for run in runs:
            ax.plot(run["metrics"]["step"], run["metrics"]["loss"])
        final = min(r["metrics"]["loss"].iloc[-1] for r in runs)
        verdicts = [style.premise(True, "the runs learn: train loss falls"),
                    style.verdict(shown, f"best final loss {final:.3f} (< 1)")]
        return style.finish(fig, f"fake-{'shown' if shown else 'not-shown'}_{scale}", verdicts,
                            {"loss_falls": shown}, {"final": final}, out_dir,
                            premises={"learns": True})

    return SimpleNamespace(draw=draw, QUOTE="“the loss falls”")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """(page path, results, {artifact: sweep file}, entries): a trained-looking lr sweep drawn
    by two artifacts (one shows its claim, one does not), a sweep never run, and a simulation
    run by `harness run` (which writes its run index)."""
    tmp = tmp_path_factory.mktemp("page")
    results = tmp / "results"
    lr_sweep, todo_sweep = tmp / "lr.yaml", tmp / "todo.yaml"
    lr_sweep.write_text(yaml.safe_dump({**CLAIMS_SWEEP, "name": "fake-lr", "grid": {"lr": LRS}}))
    todo_sweep.write_text(yaml.safe_dump({**CLAIMS_SWEEP, "name": "fake-todo",
                                          "grid": {"seed": [0, 1]}}))
    for run in expand(lr_sweep, "smoke"):
        k = LRS.index(run.config.lr) + 1
        write_fake_run(results, run, steps=STEPS,
                       metrics={"loss": lambda t, k=k: 2.0 / (1 + k * t / 500)},
                       final={"eval_loss": 1.0 / k},
                       done={"steps": 100, "final_loss": 2.0 / (1 + k), "eval_loss": 1.0 / k,
                             "seconds": 10.0 * k},
                       layers={"a": {"weight_norm": lambda t, k=k: 1 + k * t / 1000},
                               "b": {"weight_norm": 3.0, "normalized": False}})
    write_index(expand(lr_sweep, "smoke"), results)
    sim_sweep = tmp / "sim.yaml"
    sim_sweep.write_text(yaml.safe_dump(SIMULATION))
    assert harness(["run", str(sim_sweep), "--scale", "smoke", "--results", str(results),
                    "--executor", "inline"]) == 0
    sweeps = {"fake-figure-1": str(lr_sweep), "fake-figure-2": str(lr_sweep),
              "fake-figure-3": str(todo_sweep), "fake-figure-4": str(sim_sweep)}
    modules = {"fake-figure-1": _drawing(True), "fake-figure-2": _drawing(False),
               "fake-figure-3": _drawing(True), "fake-figure-4": SimpleNamespace(
                   draw=lambda *a: {"claims": {}, "verdicts": [], "files": []})}
    entries = {n: artifact_claims(SimpleNamespace(module=modules[n], sweep_file=sweeps[n]),
                                  "smoke", str(results), tmp / "figures") for n in sweeps}
    path = write_page("smoke", str(results), entries, tmp / "out" / "report.html", sweeps)
    return path, results, sweeps, entries


def _sections(text: str) -> dict[str, str]:
    found = re.findall(r'<section class="artifact [^"]*" id="([^"]+)".*?</section>', text, re.S)
    bodies = re.findall(r'(<section class="artifact .*?</section>)', text, re.S)
    return dict(zip(found, bodies))


def _specs(text: str) -> dict[str, dict]:
    return {i: json.loads(body) for i, body in re.findall(
        r'<script type="application/json" id="([^"]+)">(.*?)</script>', text, re.S)}


def test_one_section_per_artifact_with_its_claims(page):
    path, _, sweeps, entries = page
    text = path.read_text()
    assert text.startswith("<!doctype html>")
    sections = _sections(text)
    assert list(sections) == list(sweeps)
    assert [entries[n]["status"] for n in sweeps] == ["shown", "not shown", "not run", "shown"]
    shown, not_shown, todo = (sections[f"fake-figure-{i}"] for i in (1, 2, 3))
    assert '<span class="status shown">shown</span>' in shown
    assert re.search(r'<li class="met"><span class="tag">PREMISE MET</span> the runs learn', shown)
    assert re.search(r'<li class="shown"><span class="tag">SHOWN</span> best final loss 0\.\d+',
                     shown)
    assert '<span class="tag">NOT SHOWN</span> best final loss' in not_shown
    assert "<blockquote>“the loss falls”</blockquote>" in shown
    assert "not run: no complete runs of" in todo
    assert "No complete run to draw curves from yet." in todo
    assert "<p><strong>2 of 4 artifacts SHOWN</strong>; 1 not shown" in text  # no Markdown left


def test_figures_are_inlined_and_nothing_is_fetched(page):
    path, *_ = page
    text = path.read_text()
    sections = _sections(text)
    for name, count in (("fake-figure-1", 1), ("fake-figure-2", 1), ("fake-figure-3", 0)):
        images = re.findall(r'src="data:image/png;base64,([^"]+)"', sections[name])
        assert len(images) == count
        for data in images:
            with Image.open(io.BytesIO(base64.b64decode(data))) as image:
                assert max(image.size) <= FIGURE_PX
    # self-contained: plotly's bundle inline, no element loads anything from elsewhere
    assert "Plotly.newPlot" in text and len(text) > 3_000_000
    outside = re.sub(r"<script>.*?</script>", "", text, flags=re.S)
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=\"(?!data:)", outside)


def test_runs_table_has_a_row_per_run(page):
    path, results, sweeps, _ = page
    sections = _sections(path.read_text())
    for name, sweep in sweeps.items():
        table = re.search(r'<table class="sortable runs">.*?</table>', sections[name], re.S)[0]
        head = re.findall(r"<th>([^<]*)</th>", table)
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
        runs = expand(sweep, "smoke")
        assert len(rows) == len(runs)
        assert [re.search(r"<td>([0-9a-f]{12})</td>", r)[1] for r in rows] == [
            r.run_id for r in runs]
        assert head[:2] == ["run_id", "state"]
    lr_head = re.findall(r"<th>([^<]*)</th>", sections["fake-figure-1"])
    assert "lr" in lr_head and "final_eval_loss" in lr_head and "seed" not in lr_head
    assert "3 of 3 runs in the run index" in sections["fake-figure-1"]
    assert "no run index yet" in sections["fake-figure-3"]
    assert sections["fake-figure-3"].count("<td>todo</td>") == 2
    assert "schedule" in re.findall(r"<th>([^<]*)</th>", sections["fake-figure-4"])


def test_curves_hold_every_complete_runs_traces(page):
    path, results, sweeps, _ = page
    text = path.read_text()
    specs, sections = _specs(text), _sections(text)
    shared = {re.search(r'data-spec="([^"]+)"', sections[f"fake-figure-{i}"])[1] for i in (1, 2)}
    assert len(shared) == 1  # two artifacts over one sweep: one copy of its curves
    assert len(specs) == 2 and 'data-spec' not in sections["fake-figure-3"]
    for name, panels in (("fake-figure-1", 4), ("fake-figure-4", 3)):
        spec = specs[re.search(r'data-spec="([^"]+)"', sections[name])[1]]
        runs = expand(sweeps[name], "smoke")
        assert len(spec["data"]) == panels * len(runs)
        for run in runs:
            traces = [t for t in spec["data"] if t["meta"] == run.run_id]
            assert len(traces) == panels
            assert sum(t["showlegend"] for t in traces) == 1  # one legend entry per run
            assert {t["legendgroup"] for t in traces} == {run.run_id}
            assert len({t["line"]["color"] for t in traces}) == 1
            for t in traces:
                assert 0 < len(t["x"]) == len(t["y"]) <= MAX_POINTS
                assert run.run_id in t["hovertemplate"]
    lr = [t for t in specs[re.search(r'data-spec="([^"]+)"', sections["fake-figure-1"])[1]]
          ["data"] if t["showlegend"]]
    assert sorted(t["name"] for t in lr) == [f"lr={v:g}" for v in LRS]
    train = lr[0]
    assert len(train["x"]) == MAX_POINTS and train["x"][0] == 0 and train["x"][-1] == 998


def test_thin_keeps_the_ends_and_drops_unlogged_points():
    import numpy as np

    x = np.arange(1000)
    y = np.where(x % 2 == 0, x / 10, np.nan)
    y[4] = np.inf
    tx, ty = thin(x, y)
    assert len(tx) == MAX_POINTS and tx[0] == 0 and tx[-1] == 998
    assert None in thin(x[:10], y[:10])[1]  # the diverged point is kept, as a gap
    assert all(v is None or math.isfinite(v) for v in ty)


# ---- the page in a real browser ------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Measured on these machines: without the background-networking flags chromium's own
# connections are refused en masse; a fresh profile keeps runs independent.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _browser_or_skip():
    missing = [] if CHROMIUM.is_file() else [f"{CHROMIUM} (apt-get install chromium)"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (requirements.lock)")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("WDLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; WDLAB_REQUIRE_BROWSER=1 makes it mandatory")
        pytest.skip(reason)


def test_page_in_a_browser(page, tmp_path):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    path = page[0]
    figures = _specs(path.read_text())
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.set_default_timeout(60_000)
            tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(path.as_uri(), wait_until="load")
            divs = tab.locator("div.curves")
            assert divs.count() == 3  # figures 1 and 2 share one spec, 4 has its own
            tab.wait_for_function("""() => Array.from(document.querySelectorAll("div.curves"))
                .every(d => d.classList.contains("js-plotly-plot") && d.querySelector("svg"))""")
            traces = tab.evaluate("""() => Array.from(document.querySelectorAll("div.curves"))
                .map(d => d.data.length)""")
            specs = [figures[d.get_attribute("data-spec")] for d in divs.all()]
            assert traces == [len(s["data"]) for s in specs]

            # a legend click hides the run in every panel of that figure
            first = divs.nth(0)
            group = tab.evaluate("""() => document.querySelector("div.curves").data
                .find(t => t.showlegend).legendgroup""")
            first.locator(".legend .traces").first.click()
            tab.wait_for_function("""g => document.querySelector("div.curves").data
                .filter(t => t.legendgroup === g).every(t => t.visible === "legendonly")""",
                                  arg=group)
            others = tab.evaluate("""g => document.querySelector("div.curves").data
                .filter(t => t.legendgroup !== g).map(t => t.visible)""", group)
            assert others and all(v in (None, True) for v in others)

            # a header click sorts the runs table by that column, a second click reverses it
            table = tab.locator("#fake-figure-1 table.runs")
            header = table.locator("th", has_text=re.compile(r"^lr$"))
            column = tab.evaluate("""t => Array.from(t.tHead.rows[0].cells)
                .findIndex(c => c.textContent === "lr")""", table.element_handle())

            def values():
                return [float(v) for v in table.locator(f"tbody tr td:nth-child({column + 1})")
                        .all_inner_texts()]

            header.click()
            assert values() == sorted(LRS) and header.get_attribute("aria-sort") == "ascending"
            header.click()
            assert values() == sorted(LRS, reverse=True)
            assert header.get_attribute("aria-sort") == "descending"
        finally:
            browser.close()
    assert errors == []
