"""Fast paths added for speed give exactly what the general code gives (issue 11, speed half)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import precision
from trtinspect.parsers import layer_names
from trtinspect.parsers.layer_names import nodes_from_base

# The general path of nodes_from_base, kept here as the reference.
_OLD_TRAILING_INDEX = re.compile(r"([_\-.:]?\d+)+$")


def reference_nodes(base: str) -> tuple[list[str], str]:
    kinds: set[str] = set()
    nodes = list(dict.fromkeys(layer_names._decompose(base, kinds)))
    if not kinds:
        return nodes, "none"
    return nodes, (next(iter(kinds)) if len(kinds) == 1 else "mixed")


_PART = st.text(alphabet="ab1_.()[] *", min_size=0, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PART, min_size=2, max_size=5))
def test_bracketed_vertical_names_match_the_general_parser(parts: list[str]) -> None:
    base = " + ".join(parts)
    if base.startswith("{"):
        return
    assert nodes_from_base(base) == reference_nodes(base)


def test_realistic_suffixes() -> None:
    assert nodes_from_base("conv1.weight [b3] + QuantizeLinear_3007 [b3] + Conv_3009 [b3]") == (
        ["conv1.weight [b3]", "QuantizeLinear_3007 [b3]", "Conv_3009 [b3]"], "vertical")
    assert nodes_from_base("fc.bias (b2) + (Unnamed Layer* 2306) [Shuffle] (b2)") == (
        ["fc.bias (b2)", "(Unnamed Layer* 2306) [Shuffle] (b2)"], "vertical")
    # a bracket spanning " + " still goes through the general parser
    assert nodes_from_base("PWN(a + b) + c") == reference_nodes("PWN(a + b) + c")
    assert nodes_from_base("x (a + b) + c") == (["x (a + b)", "c"], "vertical")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab_-.:19 []", max_size=16))
def test_trailing_index_pattern_unchanged(token: str) -> None:
    assert precision._TRAILING_INDEX.sub("", token) == _OLD_TRAILING_INDEX.sub("", token)
