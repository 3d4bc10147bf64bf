"""YAML the way users of sweep files and cluster profiles mean it.

PyYAML follows YAML 1.1, which surprises in three ways we refuse or fix: a key given twice
silently keeps the last value (refused, naming the key and both lines); `24:00:00` is the
base-60 integer 86400 and `1e-3` is a string (YAML 1.2 rules here: a string and a float);
parse errors are multi-line with a caret (one line here: file, line, problem).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """One line: `<file>: <key or 'line N'>: <problem>`."""


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges; SafeLoader's flattening handles it
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain scalars", key_node.start_mark)
            if key in first_line:
                raise _Duplicate(key, first_line[key], line)
            first_line[key] = line
        return super().construct_mapping(node, deep)


class _Duplicate(Exception):
    def __init__(self, key, first: int, again: int):
        self.key, self.first, self.again = key, first, again


# Integers and floats as YAML 1.2 (core schema) writes them: no base-60, exponents need no dot.
_INT = re.compile(r"^[-+]?[0-9][0-9_]*$|^0x[0-9a-fA-F_]+$|^0o[0-7_]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$"
                    r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _construct_int(loader, node):
    value = loader.construct_scalar(node).replace("_", "")
    return int(value, 0) if value[:2] in ("0x", "0o") else int(value, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(path: str | Path, what: str) -> Any:
    """Parse `path`; any problem is a YamlFileError naming the file (`what` says what the file
    should be, e.g. "sweep file", for the not-found message)."""
    path = Path(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except FileNotFoundError:
        raise YamlFileError(f"{path}: {what} not found") from None
    except _Duplicate as e:
        raise YamlFileError(f"{path}: {e.key}: duplicate key (lines {e.first} and {e.again}); "
                            "give each key once") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(parse)"
        problem = " ".join(str(getattr(e, "problem", None) or e).split())
        raise YamlFileError(f"{path}: {where}: not valid YAML: {problem}") from None
