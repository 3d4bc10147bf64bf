"""Every artifact quotes the paper words its claim checks encode (module-level QUOTE): a
non-empty str with the words in “ ” and the place they come from (Fig., Table, §, Alg. or
Eq.). Whether the words are verbatim needs the papers' texts, which CI does not have: that is
checked outside the repository against them."""

from __future__ import annotations

import re

import pytest

from analysis.artifacts import discover

PLACE = re.compile(r"(Fig\.|Table|§|Alg\.|Eq\.)")


@pytest.mark.parametrize("artifact", discover(), ids=lambda a: a.name)
def test_artifact_quotes_its_paper(artifact):
    quote = getattr(artifact.module, "QUOTE", None)
    assert isinstance(quote, str) and quote.strip(), f"{artifact.name}: no QUOTE"
    assert "“" in quote and "”" in quote, f"{artifact.name}: QUOTE has no “quoted words”"
    assert PLACE.search(quote), f"{artifact.name}: QUOTE names no place (Fig./Table/§/Alg./Eq.)"


def test_artifacts_are_found():
    assert discover(), "no artifact modules found: the parametrized test above checked nothing"
