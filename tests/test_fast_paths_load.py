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
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import formats, layer_names, layers, profile, schema
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


# ---- profile: records -> columns directly (parsers.profile._plain_records_frame) vs the general path ----------
_GOOD_NUMBER = st.floats(min_value=0, max_value=1e9) | st.integers(0, 10**9) | st.just(-0.0)
_BAD_VALUE = st.sampled_from([float("nan"), float("inf"), -1.5, 1e9 + 1, 2**70, -3, True, None, "1", 3])


@st.composite
def _profile_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Well-formed records (four or five keys in any order), and now and then one defect: a bad value, a
    non-string name, a missing key or an extra one."""
    keys = ["name", "timeMs", "averageMs", "percentage"] + (["medianMs"] if draw(st.booleans()) else [])
    out = [{k: draw(st.text(max_size=3)) if k == "name" else draw(_GOOD_NUMBER)
            for k in draw(st.permutations(keys))} for _ in range(draw(st.integers(min_value=1, max_value=6)))]
    if draw(st.booleans()):
        rec = draw(st.sampled_from(out))
        key = draw(st.sampled_from(keys))
        defect = draw(st.sampled_from(["value", "missing", "extra", "swap"]))
        if defect == "value":
            rec[key] = draw(_BAD_VALUE)
        elif defect == "missing":
            del rec[key]
        elif defect == "extra":
            rec["other"] = 1
        else:
            del rec[key]
            rec["medianMs" if key != "medianMs" else "other"] = 1.0
    return out


def _general_profile(records: list[dict[str, Any]]) -> tuple[str, Any]:
    meta = profile.ProfileMeta(None, count=1)
    try:
        return "ok", (profile._from_records(records, list(range(len(records))), meta, None), meta.notes)
    except TrtInspectError as exc:
        return "error", str(exc)


@settings(max_examples=150, deadline=None)
@given(_profile_records())
def test_profile_columns_fast_path_matches_the_general_path(records: list[dict[str, Any]]) -> None:
    fast = profile._plain_records_frame(records)
    status, general = _general_profile(records)
    event("fast path" if fast is not None else "general path")
    if fast is None:  # the general path reads it (and may refuse it): nothing to compare
        return
    assert status == "ok" and not general[1]
    assert _same_frame(fast, general[0])


def _reference_from_decoded(obj: list[dict[str, Any]]) -> tuple[str, Any]:
    """profile._from_decoded as it read records before the header-first fast path: find the first header,
    drop every header, then the fast or the general path."""
    meta = profile.ProfileMeta(None)
    try:
        for rec in obj:
            if "count" in rec and "name" not in rec:   # the first header's count: a whole number >= 1 (trust-input)
                meta.count = profile._checked_count(rec["count"], None)
                break
    except TrtInspectError as exc:
        return "error", str(exc)
    positions = [i for i, r in enumerate(obj) if not ("count" in r and "name" not in r)]
    try:
        frame = profile._plain_records_frame([obj[i] for i in positions])
        if frame is None:
            frame = profile._from_records(obj, positions, meta, None)
        elif meta.count is None:
            meta.notes.append('profile has no {"count": N} header; iteration count unknown')
    except TrtInspectError as exc:
        return "error", str(exc)
    return "ok", (frame, meta.count, meta.notes)


@settings(max_examples=150, deadline=None)
@given(_profile_records(), st.lists(st.tuples(st.integers(0, 8), st.sampled_from(
    [{"count": 3}, {"count": True}, {"count": 2.5}, {"count": 7, "x": 1}])), max_size=2))
def test_profile_header_first_path_matches_the_header_scan(records: list[dict[str, Any]],
                                                           headers: list[tuple[int, dict[str, Any]]]) -> None:
    obj = list(records)
    for at, header in headers:
        obj.insert(min(at, len(obj)), dict(header))
    expected = _reference_from_decoded(obj)
    meta = profile.ProfileMeta(None)
    try:
        frame = profile._from_decoded(obj, meta, None)
    except TrtInspectError as exc:
        assert expected == ("error", str(exc))
        return
    assert expected[0] == "ok"
    ref_frame, ref_count, ref_notes = expected[1]
    assert _same_frame(frame, ref_frame) and meta.count == ref_count and meta.notes == ref_notes


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return (list(a.columns) == list(b.columns) and a.dtypes.equals(b.dtypes) and a.index.equals(b.index)
            and a.equals(b))


# ---- layers: the one-pass row reader (parsers.layers._RowWriter) vs the per-field rules, record by record ------
_FORMATS = st.sampled_from(["Row major linear FP32", "Half", "Int32", "Bool", "Four wide channel vectorized row major "
                            "Int8 format", "Channel major FP16 format where channel % 8 == 0", "Float", "weird", ""])
_TENSOR = st.fixed_dictionaries({"Name": _TENSORS, "Format/Datatype": _FORMATS | st.none() | st.integers(0, 3)},
                                optional={"Format": _FORMATS, "Datatype": _FORMATS,
    "Dimensions": st.lists(st.integers(-1, 64), max_size=4) | st.none(), "Location": st.just("Device")})
_BLOB = (st.fixed_dictionaries({"Type": st.sampled_from(["Int8", "Float", "Half", "Int4", "nope"]) | st.integers(),
                                "Count": st.integers(-2, 10**6) | st.booleans() | st.just(2**64) | st.none()})
         | st.none() | st.integers() | st.just([1]))
_SCALAR = st.none() | st.text(max_size=4) | st.integers(-1, 2**64) | st.booleans() | st.floats(allow_nan=False)


@st.composite
def _layer_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        rec: dict[str, Any] = {"Name": draw(_NAMES | st.sampled_from(
            ["PWN(a, b)", "{ForeignNode[a...b]}", "[sig]", "__myl_Add_myl0_1", "x reformatter 3", "a || b"]))}
        optional = {
            "LayerType": st.sampled_from(["kgen", "fusion", "CaskConvolution", "Reformat", "gemm", "Myelin"])
            | st.sampled_from(["signal", "wait", "NoOp", "KGEN"]) | st.integers(),
            "ParameterType": st.sampled_from(["Convolution", "Reformat", "Pooling"]) | st.integers(),
            "Inputs": st.lists(_TENSOR, min_size=1, max_size=3) | st.just([]), "Outputs": st.lists(_TENSOR, max_size=2),
            "Metadata": st.sampled_from(["[ONNX Layer: a]\x1e[ONNX Layer: b]", "[ONNX Layer: c]", "", "junk"])
            | st.integers(),
            "TacticName": _SCALAR, "TacticValue": _SCALAR, "Origin": _SCALAR, "StreamId": _SCALAR,
            "Weights": _BLOB, "Bias": _BLOB, "Scale": _BLOB, "ConvWeights": _BLOB, "Kernel": st.just([3, 3]),
        }
        usual = ["LayerType", "Inputs", "Outputs"] if draw(st.integers(0, 4)) else []
        for key in usual + draw(st.lists(st.sampled_from(sorted(set(optional) - set(usual))), unique=True)):
            rec[key] = draw(optional[key])
        out.append(rec)
    return out


def _reference_tensor(t: dict[str, Any]) -> dict[str, Any]:
    fmt = t.get("Format/Datatype")
    if fmt is None:
        fmt = t.get("Format", t.get("Datatype"))
    if not isinstance(fmt, str):
        fmt = None
    dtype, layout = formats.format_precision(fmt) if fmt is not None else (None, None)
    dims = t.get("Dimensions")
    return {"name": t.get("Name"), "shape": dims if isinstance(dims, list) else None, "format": fmt,
            "dtype": dtype, "layout": layout, "location": t.get("Location")}


def _reference_row(rec: dict[str, Any]) -> dict[str, Any]:
    """Every column of one detailed record from the per-field rules (no caches, no inlining)."""
    name = rec["Name"]
    ltype = rec.get("LayerType") if isinstance(rec.get("LayerType"), str) else None
    ptype = rec.get("ParameterType") if isinstance(rec.get("ParameterType"), str) else None
    lkind = (ltype or "").lower()
    ins = [_reference_tensor(t) for t in rec.get("Inputs") or []]
    outs = [_reference_tensor(t) for t in rec.get("Outputs") or []]
    base, prof = layer_names.split_profile_suffix(name)
    serves = layer_names.reformat_target(name)
    nodes, fusion = ([], "none") if serves is not None or lkind in layers.SYNTHETIC_LAYER_TYPES \
        else layer_names.source_nodes_from_name(name)
    meta = rec.get("Metadata")
    meta_nodes = layer_names.source_nodes_from_metadata(meta) if meta is not None else []
    if meta_nodes:
        if lkind in layers.MYELIN_LAYER_TYPES and fusion == "none" and len(meta_nodes) > 1:
            fusion = "foreign"
        nodes = meta_nodes
    blobs = [formats.weight_bytes(rec[k]) for k in layers.WEIGHT_KEYS if k in rec]
    weights = sum(b for b in blobs if b is not None) if any(b is not None for b in blobs) else None
    out_prec = outs[0]["dtype"] if outs else None
    attrs = {k: v for k, v in rec.items() if k not in layers.CONSUMED_KEYS}
    if serves is not None:
        attrs["serves"] = serves
    return {
        "name": name, "layer_type": ltype, "parameter_type": ptype, "inputs": ins, "outputs": outs,
        "input_names": [t["name"] for t in ins if t["name"] is not None],
        "output_names": [t["name"] for t in outs if t["name"] is not None], "base_name": base,
        "profile_index": prof, "source_nodes": nodes,
        "source_from": "metadata" if meta_nodes else ("name" if nodes else "none"), "fusion": fusion,
        "is_reformat": serves is not None or ltype == "Reformat" or ptype == "Reformat",
        "precision": layers.compute_precision(ltype, ins, out_prec), "output_precision": out_prec,
        "input_format": ins[0]["layout"] if ins else None, "output_format": outs[0]["layout"] if outs else None,
        **{col: layers._opt_str(rec.get(key)) for col, key in
           (("tactic_name", "TacticName"), ("tactic_value", "TacticValue"), ("origin", "Origin"))},
        "stream_id": layers._int64(rec.get("StreamId")),
        "weights_bytes": weights if weights is None or weights < 2**63 else None, "attributes": attrs,
    }


def _na_to_none(values: list[Any]) -> list[Any]:
    return [None if v is pd.NA else v for v in values]


_KGEN_TWO_PRECISIONS = [{"Name": "__myl_Add_myl0_1", "LayerType": "kgen", "Inputs": [
    {"Name": "t0", "Format/Datatype": "Half", "Dimensions": [1, 2]},
    {"Name": "t1", "Format/Datatype": "Float", "Dimensions": [4, 4]}], "Outputs": [{"Name": "t2"}]}]


@pytest.mark.parametrize("int64", [False, True])  # True: ints known within int64 (msgspec decoded the file)
@settings(max_examples=150, deadline=None)
@example(_KGEN_TWO_PRECISIONS)
@given(_layer_records())
def test_row_reader_matches_the_per_field_rules(int64: bool, records: list[dict[str, Any]]) -> None:
    expected = [_reference_row(r) for r in records]
    frame, info = layers._build_frame(records, detailed=True, int64=int64)
    for col in expected[0]:
        got = _na_to_none(frame[col].tolist())
        if col == "attributes":
            got = [{k: v for k, v in a.items() if k != "serves_index"} for a in got]
        assert got == [row[col] for row in expected], col
    formats_used = {_reference_tensor(t)["format"] for r in records for side in ("Inputs", "Outputs")
                    for t in r.get(side) or []} - {None}
    assert info.plain_formats == any(formats.is_plain_datatype(f) for f in formats_used)
    assert info.descriptive_formats == any(not formats.is_plain_datatype(f) for f in formats_used)
    assert info.has_metadata == any(r.get("Metadata") is not None for r in records)
    assert info.myelin_records == any(str(r.get("LayerType")).lower() in layers.MYELIN_LAYER_TYPES
                                      for r in records)


# ---- start-up: require_tensorrt without the nsys package for bundles that are not nsys inputs ----------------
@settings(max_examples=40, deadline=None)
@given(st.fixed_dictionaries({}, optional={"nsys_tensorrt": st.booleans() | st.none() | st.just(1),
                                           "nsys_attribution_skipped": st.none() | st.just("too many events"),
                                           "nsys_tensorrt_evidence": st.just("0 TensorRT ranges")}),
       st.none() | st.just("give the engine's files"))
def test_require_tensorrt_matches_the_nsys_check(extras: dict[str, Any], hint: str | None) -> None:
    from trtinspect.parsers.model import EngineBundle, require_tensorrt
    from trtinspect.parsers.nsys.bundle import require_tensorrt as nsys_require_tensorrt

    def outcome(check: Any) -> str | None:
        bundle = EngineBundle(name="x", extras=dict(extras))
        try:
            check(bundle, "an engine", *(() if hint is None else (hint,)))
        except TrtInspectError as exc:
            return str(exc)
        return None

    assert outcome(require_tensorrt) == outcome(nsys_require_tensorrt)


def test_report_lint_and_diff_modules_do_not_import_nsys() -> None:
    import subprocess
    import sys

    code = ("import sys, trtinspect.cli.report, trtinspect.cli.lint, trtinspect.cli.diff, trtinspect.inspector.check; "
            "print(sorted(m for m in sys.modules if 'nsys' in m and m.startswith('trtinspect.parsers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
