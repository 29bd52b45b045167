"""Fast paths of the loading path give exactly what the general code gives (issue 11, loading half).

The layer parser computes its graph notes, edges and reformat links in its one pass over the records, and
frames are built column by column without pandas' per-value inference; each is checked here against the
general (frame-based or straightforward) computation on generated records. Property-based, like
tests/test_fast_paths.py (which holds the fast paths of lint, diff and JSON writing).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.parsers import layer_names, layers, schema
from trtinspect.parsers.graph_checks import graph_notes, parsed_graph_notes

_TENSORS = st.sampled_from(["t0", "t1", "t2", "t3", "t4", "in", "out"])
_NAMES = st.sampled_from(["a", "b", "c [b1]", "conv (b2) + relu", "Reformatting CopyNode for Input Tensor 0 to a",
                          "Reformatting CopyNode for Output Tensor 1 to c [b1]", "Reformatting CopyNode for Input "
                          "Tensor 0 to nowhere", "a [profile 1]"])


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=8))
    out = []
    for _ in range(n):
        ins = draw(st.lists(_TENSORS, max_size=3))
        outs = draw(st.lists(_TENSORS, max_size=2))
        out.append({
            "Name": draw(_NAMES), "LayerType": draw(st.sampled_from(["CaskConvolution", "Reformat", "kgen"])),
            "Inputs": [{"Name": t, "Format/Datatype": "Row major linear FP32", "Dimensions": [1, 2]} for t in ins],
            "Outputs": [{"Name": t, "Format/Datatype": "Half"} for t in outs],
        })
    return out


def _reference_edges(ins: list[list[str]], outs: list[list[str]]) -> tuple[list[list[int]], list[list[int]]]:
    """Producers (first writer of each input tensor) and consumers (readers of each output tensor), O(n^2)."""
    first_writer: dict[str, int] = {}
    for i, o in enumerate(outs):
        for t in o:
            first_writer.setdefault(t, i)
    producers = [list(dict.fromkeys(first_writer[t] for t in row if t in first_writer)) for row in ins]
    consumers = [list(dict.fromkeys(j for t in row for j in range(len(ins)) if t in ins[j])) for row in outs]
    return producers, consumers


@settings(max_examples=300, deadline=None)
@given(_records(), st.none() | st.lists(_TENSORS, max_size=2))
def test_one_pass_graph_notes_and_edges_match_the_general_code(records: list[dict[str, Any]],
                                                               bindings: list[str] | None) -> None:
    frame, info = layers._build_frame(records, detailed=True)
    g = info.graph
    assert g is not None
    fast = parsed_graph_notes(info.names, info.producers, g.loops, info.backward, g.consumers_of,
                              g.producer_of, bindings)
    assert fast == graph_notes(frame, bindings)
    producers, consumers = _reference_edges(frame["input_names"].tolist(), frame["output_names"].tolist())
    assert frame["producers"].tolist() == producers
    assert frame["consumers"].tolist() == consumers
    bases = frame["base_name"].tolist()
    for attrs in frame["attributes"].tolist():
        if "serves" in attrs:
            target = attrs["serves"]
            assert attrs.get("serves_index") == (bases.index(target) if target in bases else None)


_INTS = st.lists(st.none() | st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1), max_size=20)
_OBJECTS = st.lists(st.none() | st.lists(st.integers(), max_size=3)
                    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
                    | st.tuples(st.integers(), st.integers()) | st.text(max_size=4), max_size=20)


def _same(a: pd.Series, b: pd.Series) -> bool:
    return a.dtype == b.dtype and a.index.equals(b.index) and a.tolist() == b.tolist() and a.equals(b)


@settings(max_examples=300, deadline=None)
@given(_INTS, _OBJECTS, st.lists(st.none() | st.booleans() | st.integers(0, 5), max_size=8))
def test_column_series_matches_pandas(ints: list[Any], objects: list[Any], mixed: list[Any]) -> None:
    for values, dtype in ((ints, "Int64"), (objects, "object"), (mixed, "Int64")):
        assert _same(schema.column_series(values, dtype), pd.Series(values, dtype=dtype))


# The lazy form of the "bracket open inside another or across ' + '" test that nodes_from_base used before.
_LAZY_NOT_FLAT = re.compile(r"[{}|]|PWN|_my|[(\[][^()\[\]]*?(?:[(\[]| \+ )")
_NAME_TEXT = st.text(alphabet="ab1_.()[] *+{|}PWNmy", max_size=24)


@settings(max_examples=1000, deadline=None)
@given(_NAME_TEXT, st.booleans())
def test_flat_name_check_matches_the_lazy_pattern(text: str, spaced: bool) -> None:
    name = text.replace("+", " + ") if spaced else text
    assert layer_names.is_flat(name) == (_LAZY_NOT_FLAT.search(name) is None)


_COMPLEX = re.compile(r"[()\[\]{}|]|PWN|_my")


def _old_nodes_from_base(base: str) -> tuple[list[str], str]:
    """nodes_from_base as it was before the one-check fast path (two regular expressions, lazy pattern)."""
    if _COMPLEX.search(base) is None:
        if " + " not in base:
            stripped = base.strip()
            return ([stripped] if stripped else []), "none"
        return layer_names._vertical(base.split(" + "))
    if " + " in base and _LAZY_NOT_FLAT.search(base) is None:
        return layer_names._vertical(base.split(" + "))
    if base.startswith("{"):
        dla = layer_names._DLA_GROUP_RE.match(base.strip())
        if dla is not None:
            return list(dict.fromkeys(p.strip() for p in dla.group(1).split(",") if p.strip())), "foreign"
    if layer_names._FUSED_HINT_RE.search(base) is None:
        if base.startswith("[") and layer_names._SYNTHETIC_NAME_RE.match(base):
            return [], "none"
        stripped = base.strip()
        return ([stripped] if stripped else []), "none"
    kinds: set[str] = set()
    nodes = list(dict.fromkeys(layer_names._decompose(base, kinds)))
    if not kinds:
        return nodes, "none"
    return nodes, (next(iter(kinds)) if len(kinds) == 1 else "mixed")


@settings(max_examples=1000, deadline=None)
@given(_NAME_TEXT, st.booleans())
def test_names_match_the_previous_parser(text: str, spaced: bool) -> None:
    name = text.replace("+", " + ") if spaced else text
    assert layer_names.nodes_from_base(name) == _old_nodes_from_base(name)



@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=12) | st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x85a", max_size=8).map(str.encode))
def test_empty_file_check_matches_strip(data: bytes) -> None:
    assert (not data or data.isspace()) == (not data.strip())
