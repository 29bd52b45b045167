"""Fast paths added for speed give exactly what the general code gives (issue 11, speed half)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import precision
from trtinspect.parsers import layer_names
from trtinspect.parsers.layer_names import nodes_from_base
from trtinspect.render import jsonout

# The general path of nodes_from_base, kept here as the reference.
_OLD_TRAILING_INDEX = re.compile(r"([_\-.:]?\d+)+$")


def reference_nodes(base: str) -> tuple[list[str], str]:
    kinds: set[str] = set()
    nodes = list(dict.fromkeys(layer_names._decompose(base, kinds)))
    if not kinds:
        return nodes, "none"
    return nodes, (next(iter(kinds)) if len(kinds) == 1 else "mixed")


_PART = st.text(alphabet="ab1_.()[] *+{|}", min_size=0, max_size=12)


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


_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
            | st.sampled_from(["re-7", "1e-7", "x 0.00001", "a,\n1e-5"]))
_DOCS = st.recursive(_SCALARS, lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=6), kids, max_size=4), max_leaves=30)


@settings(max_examples=500, deadline=None)
@given(_DOCS)
def test_orjson_writer_gives_json_dumps_bytes(doc: object) -> None:
    try:
        fast = jsonout.dumps_indent2(doc)
    except jsonout.NotFast:  # e.g. a lone surrogate: the caller keeps its exact path
        return
    assert fast == json.dumps(doc, indent=2, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-2e-4, max_value=2e-4) | st.floats(allow_nan=False, allow_infinity=False)
                | st.sampled_from(["0.0000", "re-7", "x 1e-5", "e-1"]), max_size=8))
def test_small_floats_spelled_as_python(values: list[object]) -> None:
    """Floats below 1e-4 (where orjson's spelling differs) among text that looks like them."""
    doc = {"v": values, "0.00001": values[:1], "k e-7": 1e-7}
    assert jsonout.dumps_indent2_bytes(doc) == json.dumps(doc, indent=2, ensure_ascii=False).encode()


def test_orjson_writer_small_floats_and_refusals() -> None:
    doc = {"a": [1e-7, -2.5e-9, 9.9e-05, 1e-4, 1e16, 5e-324, 0.0, -0.0], "b": "1e-7", "c": 1e-07}
    assert jsonout.dumps_indent2(doc) == json.dumps(doc, indent=2, ensure_ascii=False)
    assert jsonout.dumps_indent2(1e-7) == "1e-07"
    assert jsonout.dumps_indent2({"n": float("nan"), "na": pd.NA, "i": np.int64(3)}) == \
        '{\n  "n": null,\n  "na": null,\n  "i": 3\n}'
    for refused in ({1: "int key"}, 2**70, "\ud800"):
        with pytest.raises(jsonout.NotFast):
            jsonout.dumps_indent2(refused)


@settings(max_examples=200, deadline=None)
@given(_DOCS, st.sampled_from([b"\n", b"}", b"]\n", b"x" * 40]))
def test_pieces_are_the_joined_bytes(doc: object, suffix: bytes) -> None:
    """The document in pieces (views between respelled floats) is dumps_indent2_bytes' document: joined,
    decoded, written to a stream, and at its end."""
    import io

    try:
        pieces = jsonout.dumps_indent2_pieces(doc)
    except jsonout.NotFast:
        return
    whole = jsonout.dumps_indent2_bytes(doc)
    assert bytes(pieces) == whole and pieces.decode() == whole.decode()
    class WriteOnly(io.BytesIO):   # a stream that overrides write alone (click's test runner): every piece goes there
        def __init__(self) -> None:
            super().__init__()
            self.copy = io.BytesIO()

        def write(self, data: object) -> int:
            self.copy.write(data)   # type: ignore[arg-type]
            return super().write(data)  # type: ignore[arg-type]

    stream = WriteOnly()
    pieces.write_to(stream)
    assert stream.getvalue() == whole and stream.copy.getvalue() == whole
    assert pieces.endswith(suffix) == whole.endswith(suffix)
    assert pieces.endswith(whole[-3:]) and pieces.endswith(whole)


def test_frame_records_match_to_dict() -> None:
    frame = pd.DataFrame({"a": [1.5, float("nan")], "b": ["x", None], "c": [[1], {"k": 2}],
                          "d": pd.array([1, None], dtype="Int64")})
    fast = jsonout.dumps_indent2(jsonout.frame_records(frame))
    slow = jsonout.dumps_indent2(frame.to_dict("records"))
    assert fast == slow


def test_windowed_similarity_reads_like_the_lcs_on_big_engines() -> None:
    """Above LCS_MAX_CELLS model_match compares windows; on real engines replicated to thousands of layers
    it reads what the exact LCS reads on one copy (same network 0.67, different networks 0.24)."""
    from trtinspect import load
    from trtinspect.inspector import model_match as mm
    from trtinspect.inspector.align import _read_side

    root = Path(__file__).resolve().parents[1]
    sides = {}
    for key, folder in (("qat", root / "sample_engines/resnet18-a100/qat"),
                        ("residual", root / "sample_engines/resnet18-a100/qat-residual"),
                        ("r50", root / "tests/data/external/trex-rtx3090-resnet50/qat")):
        side = _read_side(load(folder).layers, "A")
        sides[key] = mm._tokens(side, True)

    def lcs(ta: list[object], tb: list[object]) -> float:
        return 2.0 * sum(i2 - i1 for tag, i1, i2, _, _ in mm._opcodes(ta, tb) if tag == "equal") / (len(ta) + len(tb))

    for a, b in (("qat", "residual"), ("qat", "r50")):
        ta, tb = sides[a], sides[b]
        k = 3000 // min(len(ta), len(tb)) + 1
        assert len(ta) * k * len(tb) * k > mm.LCS_MAX_CELLS
        assert abs(mm.windowed_similarity(ta * k, tb * k) - lcs(ta, tb)) < 0.05
    assert mm.windowed_similarity(sides["qat"] * 200, sides["qat"] * 200) == 1.0


def test_windowed_opcodes_cover_both_sequences() -> None:
    from trtinspect.inspector import align

    ta = list("abcab" * 900)
    tb = list("abcb" * 1000)
    ops = align._opcodes(ta, tb)
    assert len(ta) * len(tb) > align.LCS_MAX_CELLS
    assert ops[0][1] == 0 and ops[0][3] == 0 and ops[-1][2] == len(ta) and ops[-1][4] == len(tb)
    for prev, nxt in itertools.pairwise(ops):
        assert prev[2] == nxt[1] and prev[4] == nxt[3]
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            assert ta[i1:i2] == tb[j1:j2]
    assert all(tag == "equal" for tag, *_ in align._opcodes(ta, list(ta)))


# --- lint JSON / SARIF through orjson (cost_by_layer has int keys, which orjson refuses) -------------------
_COST_BY_LAYER = st.dictionaries(st.integers(min_value=0, max_value=10**6),
                                 st.floats(allow_nan=False, allow_infinity=False), max_size=6)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({"cost_by_layer": _COST_BY_LAYER | st.just({}), "evidence": _DOCS,
                                       "cost_ms": st.floats(allow_infinity=False)}), max_size=4))
def test_lint_records_with_int_keys_written_like_json_dumps(records: list[dict[str, object]]) -> None:
    from trtinspect.render import lint as render_lint

    slow = json.dumps([render_lint._jsonable(r) for r in records], indent=2, ensure_ascii=False)
    try:
        fast = jsonout.dumps_indent2(render_lint._str_keyed([dict(r) for r in records]))
    except jsonout.NotFast:
        return
    assert fast == slow


@pytest.mark.parametrize("folder", ["sample_engines/resnet18-a100/qat", "sample_engines/resnet18-a100/fp16",
                                    "tests/data/external/trex-titanrtx-mobilenet/qat"])
def test_lint_json_and_sarif_fast_paths_match_the_slow_ones(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from trtinspect import load
    from trtinspect.inspector.lint import LintResult, lint
    from trtinspect.render import lint as render_lint
    from trtinspect.render import render, render_output

    bundle = load(Path(__file__).resolve().parents[1] / folder)
    result = LintResult(lint(bundle), bundle)
    fast = {fmt: render("lint", result, fmt) for fmt in ("json", "sarif")}

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise jsonout.NotFast("test: the slow path")

    monkeypatch.setattr(render_lint, "dumps_indent2_bytes", refuse)
    monkeypatch.setattr(render_lint, "dumps_indent2_pieces", refuse)
    for fmt, text in fast.items():
        assert text == render("lint", result, fmt), fmt
    for fmt in fast:
        assert isinstance(render_output("lint", result, fmt), str)   # the slow path's text, as it is


@pytest.mark.parametrize("kind", ["lint", "report", "diff"])
def test_render_output_gives_render_text(kind: str) -> None:
    """Every format through render_output (bytes where a module declares BYTES_FORMATS) is render's text."""
    from trtinspect import load
    from trtinspect.inspector.diff import diff
    from trtinspect.inspector.lint import LintResult, lint
    from trtinspect.inspector.report import build_report
    from trtinspect.render import formats, render, render_output

    samples = Path(__file__).resolve().parents[1] / "sample_engines/resnet18-a100"
    bundle = load(samples / "qat")
    result: object = {"lint": lambda: LintResult(lint(bundle), bundle), "report": lambda: build_report(bundle),
                      "diff": lambda: diff(bundle, load(samples / "qat-residual"))}[kind]()
    for fmt in formats(kind):
        if fmt == "html":   # plotly gives each figure a fresh random id
            continue
        out = render_output(kind, result, fmt, width=100)
        assert (out if isinstance(out, str) else out.decode()) == render(kind, result, fmt, width=100), fmt


# --- op kinds: block suffixes, and one cache entry for names differing only in their node numbers ----------
_OP_WORDS = st.sampled_from(["Conv", "conv2d", "Relu", "relu6", "Add", "QuantizeLinear", "DequantizeLinear",
                             "MaxPool", "Gemm", "MatMul", "Reshape", "Constant", "node_conv", "BatchNormalization",
                             "conv1.weight", "fc.bias", "x_weight", "Sigmoid", "foo", "copied_squeeze_after"])
_NUMBERS = st.integers(min_value=0, max_value=123456)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["a", "C", "conv", "Relu", "relu6", "conv2d", "quant", "_", "-", ".", ":", "/",
                                  " ", "[", "]", "(", ")", "*", "weight", "Unnamed Layer", "__myl_", "1", "12",
                                  "345", "٣", "node_"]), max_size=10))
def test_op_kind_does_not_depend_on_digit_runs(parts: list[str]) -> None:
    text = "".join(parts)
    assert precision._op_kind(text) == precision._op_kind(precision._DIGIT_RUN.sub("00", text))
    assert precision.op_kind(text) == precision._op_kind(text)


@settings(max_examples=300, deadline=None)
@given(_OP_WORDS, _NUMBERS, st.sampled_from([" [b{}]", " (b{})", " [b{}] (c)", ""]), st.integers(0, 2000))
def test_op_kind_of_a_block_suffixed_node_is_its_core_kind(word: str, n: int, suffix: str, k: int) -> None:
    core = word if "." in word or word.endswith("_weight") else f"{word}_{n}"
    assert precision.op_kind(core + suffix.format(k)) == precision.op_kind(core)


def test_op_kind_realistic_generated_names() -> None:
    assert precision.op_kind("Conv_3009 [b3]") == "conv"
    assert precision.op_kind("conv1.weight [b3]") == "const"
    assert precision.op_kind("Relu_12 (b4)") == "act"
    assert precision.op_kind("(Unnamed Layer* 2306) [Shuffle] (b2)") == "shape"
    assert precision.strip_block_suffix("PWN(Add_5)") == "PWN(Add_5)"   # no space: not a suffix
    assert precision.strip_block_suffix("x [a(b)]") == "x [a(b)]"       # nested: left alone


# --- LintContext's column reads and per-row memos; facts shared by model_match and align ---------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers(0, 3)), max_size=8),
       st.sampled_from(["object", "string"]))
def test_str_list_matches_fillna_reading(values: list[object], dtype: str) -> None:
    from trtinspect.inspector.rules_base import _str_list

    if dtype == "string":
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    col = pd.Series(values, dtype=dtype)
    reference = [x if isinstance(x, str) else "" for x in col.fillna("").tolist()]
    assert _str_list(col) == reference


@pytest.mark.parametrize("folder", ["sample_engines/resnet18-a100/qat-residual",
                                    "tests/data/external/trex-titanrtx-mobilenet/qat"])
def test_lint_context_memos_and_shared_sides_match_fresh_reads(folder: str) -> None:
    from trtinspect import load
    from trtinspect.inspector import align as align_mod
    from trtinspect.inspector import model_match as mm
    from trtinspect.inspector.rules_base import LintContext, _node_kinds

    bundle = load(Path(__file__).resolve().parents[1] / folder)
    ctx = LintContext(bundle)
    assert ctx.node_kinds == _node_kinds(ctx.names, ctx.source_nodes)
    for r in range(ctx.n):
        assert ctx.channels(r) == ctx._read_channels(r) == ctx.channels(r)
        fresh = ctx._int8_write_saving(r)
        memo = ctx.int8_write_saving(r)
        assert memo == fresh or (np.isnan(memo) and np.isnan(fresh))
    other = load(Path(__file__).resolve().parents[1] / "sample_engines/resnet18-a100/qat")
    sides = align_mod.read_sides(bundle.layers, other.layers)
    assert mm.structural_similarity(bundle.layers, other.layers, sides) == \
        mm.structural_similarity(bundle.layers, other.layers)
    shared = align_mod.align(bundle.layers, other.layers, sides)
    fresh_alignment = align_mod.align(bundle.layers, other.layers)
    pd.testing.assert_frame_equal(shared.groups, fresh_alignment.groups)
    pd.testing.assert_frame_equal(shared.members, fresh_alignment.members)


# --- lint text: prose lines that fit as they are skip textwrap; the rest are wrapped once per distinct text --
_PROSE = st.text(alphabet=st.sampled_from(list("ab -.\t\n\r\x0b\x0c\xa0\u2028é")), max_size=40)


@settings(max_examples=600, deadline=None)
@given(_PROSE, st.integers(min_value=8, max_value=60), st.sampled_from(["", "     "]),
       st.sampled_from(["", "cause: ", "  1. [info] x  "]))
def test_lint_prose_lines_are_textwraps(text: str, width: int, indent: str, label: str) -> None:
    import textwrap

    from trtinspect.render import lint as render_lint
    from trtinspect.render.escape import printable

    first = indent + label       # a name's controls are shown (\\xNN) before wrapping: a name is one line
    expected = textwrap.wrap(printable(text), width=width, initial_indent=first, subsequent_indent=" " * len(first),
                             break_long_words=False, break_on_hyphens=False) or [first]
    assert render_lint._prose(text, width, indent, label) == expected


# --- Markdown escaping: each replacement runs only when its character occurs (same text as the plain chain) -
def _reference_md_cell(text: object) -> str:
    import html

    from trtinspect.render.escape import printable

    out = html.escape(printable(text), quote=False).replace("&gt;", ">")
    for ch in ("\\", "`", "[", "]", "|", "*", "_", "~", "!"):
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", " ").replace("\n", " ")


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2100) | st.sampled_from(list("&<>\\`[]|*_~!\r\n\t\x1b\x85")),
               max_size=30))
def test_md_cell_matches_the_plain_replacement_chain(text: str) -> None:
    from trtinspect.render.escape import md_cell

    assert md_cell(text) == _reference_md_cell(text)
    assert md_cell(text + " &gt; <b>") == _reference_md_cell(text + " &gt; <b>")


_REPORT_SCALARS = (_SCALARS | st.floats() | st.floats(width=32).map(np.float32) | st.floats().map(np.float64)
                   | st.integers(min_value=-(2**70), max_value=2**70) | st.integers(-5, 5).map(np.int64)
                   | st.just(pd.NA) | st.just(Path("a/b")) | st.booleans().map(np.bool_))
_REPORT_DOCS = st.recursive(
    _REPORT_SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.lists(kids, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=6) | st.integers(0, 3), kids, max_size=4)
    | st.tuples(kids, kids).map(lambda t: _Pair(*t)), max_leaves=30)


class _Pair(NamedTuple):
    a: object
    b: object


@settings(max_examples=400, deadline=None)
@given(_REPORT_DOCS)
def test_report_json_fast_path_writes_what_the_slow_path_writes(doc: object) -> None:
    """The report's orjson path: the bytes of json.dumps(indent=2, ensure_ascii=False, default=str) with
    non-finite numbers as null (dumps_finite), for numpy scalars, named tuples, big ints, int keys, NaN..."""
    from trtinspect.render.escape import dumps_finite
    from trtinspect.render.report import render_json, render_json_bytes

    slow = dumps_finite(doc, indent=2, ensure_ascii=False, default=str)
    assert render_json(doc) == slow     # type: ignore[arg-type]
    out = render_json_bytes(doc)        # type: ignore[arg-type]
    assert (out.decode() if isinstance(out, bytes) else out) == slow


def _exact_pairs_reference(lnames: list[object], pnames: list[object]) -> list[int]:
    """The k-th layer of a name takes the k-th profile row of that name (the general, queue-based rule)."""
    from collections import defaultdict, deque

    rows: dict[object, deque[int]] = defaultdict(deque)
    for j, nm in enumerate(pnames):
        rows[nm].append(j)
    return [rows[nm].popleft() if rows.get(nm) else -1 for nm in lnames]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=12),
       st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=12))
def test_exact_join_pass_pairs_names_as_the_general_rule(lnames: list[str], pnames: list[str]) -> None:
    """The hashed exact pass (unique profile names, layers that share a name checked on row numbers) pairs
    layers and rows as the queue-based rule does, for layer names repeated or not."""
    from trtinspect.parsers.join import _exact_pass

    prof_idx = np.full(len(lnames), -1, dtype=np.int64)
    used = np.zeros(len(pnames), dtype=bool)
    _exact_pass(lnames, pnames, prof_idx, used)
    expected = _exact_pairs_reference(lnames, pnames)
    assert prof_idx.tolist() == expected
    assert used.tolist() == [j in expected for j in range(len(pnames))]


# --- report breakdown and the timing summary's printed figures: one pass, same result ---------------------
def _breakdown_groups_reference(joined: pd.DataFrame, column: str) -> pd.DataFrame:
    """The breakdown's groups as a grouping by the object key column computes them (before the integer codes)."""
    from trtinspect.inspector.report import _label

    keys = joined[column].astype(object) if column in joined else pd.Series(None, index=joined.index)
    frame = pd.DataFrame({"key": keys, "avg_ms": joined["avg_ms"]})
    grouped = frame.groupby("key", sort=False, dropna=False).agg(
        layers=("avg_ms", "size"), avg_ms=("avg_ms", "sum"), timed=("avg_ms", "count"))
    grouped.index = pd.Index([_label(k) for k in grouped.index], name="key")
    return grouped.groupby(level=0, sort=False).sum().sort_values(["avg_ms", "layers"], ascending=False)


_KEYS = st.sampled_from(["Int8", "Half", "Float", "", " ", None, float("nan"), pd.NA, "Int8 "])
_MS = st.floats(min_value=0, max_value=5, allow_nan=False) | st.just(float("nan")) | st.sampled_from([0.1, 0.2, 0.3])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KEYS, _MS), min_size=1, max_size=20), st.booleans())
def test_report_breakdown_groups_as_a_grouping_by_the_key_column(rows: list[tuple[object, float]],
                                                                 as_string: bool) -> None:
    from trtinspect.inspector.report import _breakdown
    from trtinspect.parsers.layer_total import LayerTotal

    keys = pd.array([k for k, _ in rows], dtype="string") if as_string else [k for k, _ in rows]
    joined = pd.DataFrame({"precision": keys, "avg_ms": [ms for _, ms in rows]})
    total = LayerTotal(ms=10.0, basis="summed averages")
    got = _breakdown(joined, "precision", total, 0.0)
    want = _breakdown_groups_reference(joined, "precision")
    assert [r["precision"] for r in got] == [str(k) for k in want.index]
    assert [r["layers"] for r in got] == [int(n) for n in want["layers"]]
    assert [r["avg_ms"] for r in got] == [
        (None if not t else round(float(ms), 6)) for ms, t in zip(want["avg_ms"], want["timed"], strict=True)]
    assert [r["layer_type"] for r in _breakdown(joined, "layer_type", total, 0.0)] == ["(unknown)"]


def _printed_reference(summary: pd.DataFrame, metric: str) -> tuple[dict[str, object], object]:
    """A metric's (stat -> value) and its first ``value`` row, by boolean filters of the frame (as before)."""
    rows = summary[summary["metric"] == metric]
    lookup = {str(s): v for s, v in zip(rows["stat"].astype(str), rows["value"], strict=False)}
    hit = summary[(summary["metric"] == metric) & (summary["stat"] == "value")]
    return lookup, (None if hit.empty else hit["value"].iloc[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Latency", "GPU Compute Time", "Throughput", "latency", None]),
                          st.sampled_from(["min", "mean", "p99", "p90.5", "value", "median", None]),
                          st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=12))
def test_timing_reads_the_summary_rows_as_boolean_filters_do(rows: list[tuple[object, object, float]]) -> None:
    from trtinspect.parsers import timing

    summary = pd.DataFrame({"metric": pd.array([r[0] for r in rows], dtype="string"),
                            "stat": pd.array([r[1] for r in rows], dtype="string"),
                            "value": [r[2] for r in rows], "unit": pd.array(["ms"] * len(rows), dtype="string")})
    by_metric = timing._by_metric(summary)
    for metric in ("Latency", "GPU Compute Time", "Throughput", "latency", "absent"):
        lookup, value = _printed_reference(summary, metric)
        mine = by_metric.get(metric, [])
        assert {s: timing._num(v) for s, v in mine} == {s: timing._num(v) for s, v in lookup.items()}
        assert timing._scalar(mine) == timing._num(value)
        assert repr(timing._summary_stats(mine)) == repr(timing._summary_stats(
            [(str(s), v) for s, v in lookup.items()]))
