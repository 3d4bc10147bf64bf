"""Every paper artifact, found from the tree, not registered: `analysis/<paper>/figure_<N>.py`
(or `table_<N>.py`) draws it and checks its claims, `experiments/<paper>/figure-<N>.yaml` says
what to run. Its one name, `<paper>-<figure|table>-<N>`, is what make, `python -m analysis`,
the sweep's `name:` and the output files use.

An artifact module has a `draw(sweep_file, scale, results, out_dir) -> dict` and, where it
reads another artifact's runs (or none), `SWEEP = "<that artifact's name>"` (or None). One that
draws panels from other artifacts' runs besides its own names them in `ALSO`: their sweeps run
with it (make, the report's completeness check), trained once for both.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = ROOT / "analysis"
EXPERIMENTS = ROOT / "experiments"
MODULE_NAME = re.compile(r"(figure|table)_(\d+)")


@dataclass(frozen=True)
class Artifact:
    paper: str
    kind: str  # figure | table
    number: int

    @property
    def name(self) -> str:
        return f"{self.paper}-{self.kind}-{self.number}"

    @property
    def module(self):
        return importlib.import_module(f"analysis.{self.paper}.{self.kind}_{self.number}")

    @property
    def sweep_file(self) -> str | None:
        """The sweep it draws from (repo-relative): its own YAML unless the module names
        another artifact's (`SWEEP`), None when it needs no runs (exact arithmetic)."""
        sweep = getattr(self.module, "SWEEP", self.name)
        return None if sweep is None else sweep_path(sweep)

    @property
    def sweep_files(self) -> list[str]:
        """Every sweep it draws from: its own, then those of the artifacts named in `ALSO`."""
        return drawn_sweeps(self.module, self.sweep_file)

    @property
    def description(self) -> str:
        return (self.module.__doc__ or "").strip().splitlines()[0]


def sweep_path(name: str) -> str:
    """`chou2025-figure-3` -> experiments/chou2025/figure-3.yaml (repo-relative)."""
    paper, _, rest = name.partition("-")
    return str((EXPERIMENTS / paper / f"{rest}.yaml").relative_to(ROOT))


def beside(sweep_file: str, name: str) -> str:
    """Artifact `name`'s sweep file in the folder of `sweep_file` (experiments/<paper>/, or a
    test's folder of fake sweeps): `kosson2026-figure-11` -> <folder>/figure-11.yaml."""
    return str(Path(sweep_file).with_name(f"{name.partition('-')[2]}.yaml"))


def drawn_sweeps(module, sweep_file: str | None) -> list[str]:
    """Every sweep a module draws from: `sweep_file`, then those of the artifacts its `ALSO`
    names (of the same paper), beside it; none for an exact artifact (no sweep)."""
    if sweep_file is None:
        return []
    return [sweep_file, *(beside(sweep_file, name) for name in getattr(module, "ALSO", ()))]


def discover() -> list[Artifact]:
    """Every artifact module under analysis/<paper>/, papers alphabetically, figures before
    tables, by number."""
    found = []
    for path in ANALYSIS.glob("*/*.py"):
        match = MODULE_NAME.fullmatch(path.stem)
        if match:
            found.append(Artifact(path.parent.name, match[1], int(match[2])))
    return sorted(found, key=lambda a: (a.paper, a.kind, a.number))


def find(name: str) -> Artifact:
    """The artifact called `name`; ValueError naming the allowed names otherwise."""
    artifacts = {a.name: a for a in discover()}
    if name not in artifacts:
        raise ValueError(f"unknown artifact {name!r}; allowed: {', '.join(artifacts)}")
    return artifacts[name]
