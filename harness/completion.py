"""Shell completion for `harness` through argcomplete, when it is installed (it is optional:
without it `harness` works the same and nothing completes). Enable it once per shell:

    eval "$(register-python-argcomplete harness)"

Sweep file arguments complete to experiments/*/*.yaml (else to files), artifact names to the
drawing modules' names, found from the tree as the Makefile finds its targets (harness never
imports analysis/).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP_FILES = "experiments/*/*.yaml"
# argument dest -> completer, wherever a (sub)parser declares it
SWEEP_DESTS = ("sweep", "sweeps")
ARTIFACT_DESTS = ("artifact",)


def sweep_files(prefix: str, **kwargs) -> list[str]:
    """The repo's sweep files under the current folder that start with what was typed; any
    YAML file or folder when none does (a sweep file kept elsewhere)."""
    found = [p for p in sorted(glob.glob(SWEEP_FILES)) if p.startswith(prefix)]
    if found:
        return found
    from argcomplete.completers import FilesCompleter

    return list(FilesCompleter(("yaml", "yml"))(prefix, **kwargs))


def artifact_names(prefix: str, **kwargs) -> list[str]:
    """<paper>-<figure|table>-<N> of every analysis/<paper>/<figure|table>_<N>.py."""
    names = {f"{path.parent.name}-{path.stem.replace('_', '-')}"
             for kind in ("figure", "table")
             for path in (REPO / "analysis").glob(f"*/{kind}_*.py")}
    return sorted(n for n in names if n.startswith(prefix))


def _attach(parser) -> None:
    """Give every sweep and artifact argument of the parser and its subparsers a completer
    (those it does not have already)."""
    for action in parser._actions:
        if getattr(action, "completer", None) is None:
            if action.dest in SWEEP_DESTS:
                action.completer = sweep_files
            elif action.dest in ARTIFACT_DESTS:
                action.completer = artifact_names
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _attach(sub)


def autocomplete(parser) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol: _ARGCOMPLETE,
    COMP_LINE, COMP_POINT in the environment); return at once otherwise."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:  # a completion script from another install: answer nothing
        sys.exit(1)
    _attach(parser)
    argcomplete.autocomplete(parser)
