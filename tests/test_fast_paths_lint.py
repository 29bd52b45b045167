"""The lint engine's column-wise fast paths give exactly what the per-row code gives (issue 11, speed half).

The per-row reference implementations below are the general code the fast paths replaced, kept as the
oracle: classification by distinct type values, node kinds computed for the rows that need them, batched
op kinds, the one-pass reformat-name scan, candidate rows of the rules, and the absorb/member engine step.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_base as rb
from trtinspect.inspector import rules_columns as rc

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = [
    "sample_engines/resnet18-a100/qat-residual",
    "sample_engines/resnet18-a100/qat",
    "sample_engines/resnet18-a100/fp32",
    "tests/data/external/trex-titanrtx-mobilenet/qat",
    "tests/data/external/trex-rtx3090-resnet50/qat",
    "tests/data/external/trex-rtx3090-resnet50/fp32",
    "sample_engines/trtexec-logs/trt8.4/result-FP16.log",
]

_NODE = st.text(alphabet="aCcnovQqDdeRrfmtiu_.0123456789 /\x00()[]*+-LlyNGPW", max_size=24)
_NAMES = st.sampled_from([
    "Reformatting CopyNode for Input Tensor 0 to Conv_3", "reformatting copynode x", "a reformatter b",
    "REFORMATTER", "Conv_12", "QuantizeLinear_7", "x\x00reformatter", "\u0130Reformatter", "conv\u017f",
    "K\u212aReformatting CopyNode", "",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_NODE, max_size=12))
def test_op_kinds_is_op_kind_of_each(nodes: list[str]) -> None:
    assert prec.op_kinds(nodes) == [prec.op_kind(x) for x in nodes]


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAMES | _NODE, max_size=12))
def test_reformat_name_rows_is_is_reformat_name(names: list[str]) -> None:
    assert prec.reformat_name_rows(names) == [i for i, x in enumerate(names) if prec.is_reformat_name(x)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=5), st.integers(0, 3)), max_size=8),
       st.sampled_from(["object", "string"]))
def test_shared_str_list_is_str_list(values: list[object], dtype: str) -> None:
    if dtype == "string":
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    col = pd.Series(values, dtype=dtype)
    assert rc._shared_str_list(col) == rb._str_list(col)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "Reformatting CopyNode for Output Tensor 0 to a", "Conv_1",
                                           "PWN(Relu_3)"]), st.lists(_NODE, max_size=3)), max_size=8))
def test_node_kinds_batch_is_per_row(rows: list[tuple[str, list[str]]]) -> None:
    names = [n for n, _ in rows]
    nodes = [x for _, x in rows]
    want = [
        [prec.op_kind(x) for x in ns] if ns else [] if name.startswith("Reformatting CopyNode") else
        [prec.op_kind(name)]
        for name, ns in zip(names, nodes, strict=True)
    ]
    assert rb._node_kinds(names, nodes) == want


# --- the per-row classification the column-wise one replaced (reference) ----------------------------------
def _ref_qdq(ctx: rb.LintContext, r: int) -> bool:
    if (ctx.origin[r].upper() == "QDQ" or ctx.layer_type[r] in rc.QDQ_TYPES
            or ctx.parameter_type[r] in rc.QDQ_TYPES):
        return True
    if ctx.origin[r] or prec.is_reformat_name(ctx.names[r]):
        return False
    if ctx.layer_type[r] and ctx.layer_type[r] not in rc.NAME_TYPED_LAYERS:
        return False
    kinds = [k for k in ctx.node_kinds[r] if k != "const"]
    return bool(kinds) and all(k == "qdq" for k in kinds)


def _ref_conv(ctx: rb.LintContext, r: int) -> bool:
    if ctx.parameter_type[r] in rc.CONV_PARAMETER_TYPES or ctx.layer_type[r] in rc.CONV_LAYER_TYPES:
        return True
    if ctx.parameter_type[r] or ctx.layer_type[r]:
        return False
    kinds = ctx.compute_kinds(r)
    return bool(kinds) and any(k in prec.COMPUTE_KINDS for k in kinds)


def _ref_epilogue_only(ctx: rb.LintContext, r: int, passthrough: bool, conv: bool) -> bool:
    if passthrough or conv:
        return False
    if ctx.parameter_type[r] in rc.EPILOGUE_PARAMETER_TYPES or ctx.layer_type[r] in rc.EPILOGUE_LAYER_TYPES:
        return True
    if ctx.parameter_type[r] and ctx.parameter_type[r] not in rc.EPILOGUE_PARAMETER_TYPES:
        return False
    kinds = ctx.compute_kinds(r)
    return bool(kinds) and all(k in prec.EPILOGUE_KINDS for k in kinds)


def _ref_shape_only(ctx: rb.LintContext, r: int) -> bool:
    if ctx.parameter_type[r] in rc.SHAPE_PARAMETER_TYPES or ctx.layer_type[r] in rc.SHAPE_PARAMETER_TYPES:
        return True
    if ctx.parameter_type[r] or ctx.layer_type[r] not in ("", "Myelin", "kgen", "fusion"):
        return False
    kinds = [k for k in ctx.node_kinds[r] if k != "const"]
    return bool(kinds) and all(k == "shape" for k in kinds)


@pytest.mark.parametrize("folder", BUNDLES)
def test_column_wise_classification_is_the_per_row_one(folder: str) -> None:
    from trtinspect import load

    bundle = load(ROOT / folder)
    fresh = rb.LintContext(bundle)  # rows read one at a time, before node_kinds is built
    lazy = [fresh.kinds_of(r) for r in range(fresh.n)]
    ctx = rb.LintContext(bundle)
    assert lazy == ctx.node_kinds
    assert ctx.layer_type == rb._str_list(ctx._frame["layer_type"])
    assert ctx.parameter_type == rb._str_list(ctx._frame["parameter_type"])
    assert ctx.origin == rb._str_list(ctx._frame["origin"])
    assert ctx.tactic == rb._str_list(ctx._frame["tactic_name"])
    qdq = [_ref_qdq(ctx, r) for r in range(ctx.n)]
    reformat = [(ctx.is_reformat_col[r] or prec.is_reformat_name(ctx.names[r])) and not qdq[r]
                for r in range(ctx.n)]
    noop = [t in rc.NOOP_TYPES for t in ctx.layer_type]
    passthrough = [a or b or c for a, b, c in zip(reformat, qdq, noop, strict=True)]
    conv = [_ref_conv(ctx, r) for r in range(ctx.n)]
    for ctx_ in (fresh, ctx):
        assert [ctx_.is_qdq(r) for r in range(ctx.n)] == qdq
        assert [ctx_.is_reformat(r) for r in range(ctx.n)] == reformat
        assert [ctx_.is_passthrough(r) for r in range(ctx.n)] == passthrough
        assert [ctx_.is_conv(r) for r in range(ctx.n)] == conv
        assert ctx_.conv_rows == [r for r in range(ctx.n) if conv[r]]
        assert [ctx_.is_shape_only(r) for r in range(ctx.n)] == [_ref_shape_only(ctx, r) for r in range(ctx.n)]
        assert [ctx_.is_epilogue_only(r) for r in range(ctx.n)] == [
            _ref_epilogue_only(ctx, r, passthrough[r], conv[r]) for r in range(ctx.n)]
    ctx.prefetch_channels(range(ctx.n))
    assert [ctx.channels(r) for r in range(ctx.n)] == [fresh._read_channels(r) for r in range(ctx.n)]


def _ref_member(ctx: rb.LintContext, f: rb.Finding) -> dict[str, object]:
    if f.cost_ms is not None and math.isnan(f.cost_ms):
        saving: dict[int, float] = {}
    elif f.saving is not None:
        saving = dict(f.saving)
    else:
        saving = {r: ctx.avg_ms[r] for r in dict.fromkeys(f.rows)}
    cost = math.fsum(saving.values()) if saving else math.nan
    member = {"rule_id": f.rule_id, "layers": [ctx.names[r] for r in dict.fromkeys(f.rows)], "title": f.title,
              "cause": f.cause, "cost_ms": None if math.isnan(cost) else cost, "evidence": f.evidence}
    if not ctx.full_members:  # a reference: the member without its cause and evidence
        del member["cause"], member["evidence"]
    return member


def _ref_absorb(found: list, ctx: rb.LintContext) -> list:  # type: ignore[type-arg]
    if not any(f.supersedes and f.rows for _, _, f in found):
        return found
    by_first: dict[tuple[str, int], list[int]] = {}
    for i, (_, _, f) in enumerate(found):
        if f.rows:
            by_first.setdefault((f.rule_id, f.rows[0]), []).append(i)
    gone: set[int] = set()
    for j, (_, _, root) in enumerate(found):
        if not root.supersedes or not root.rows or j in gone:
            continue
        rows = set(root.rows)
        absorbed = root.evidence.setdefault("absorbed", [])
        for rule_id in root.supersedes:
            for r in dict.fromkeys(root.rows):
                for i in by_first.get((rule_id, r), ()):
                    f = found[i][2]
                    if i in gone or i == j or not rows.issuperset(f.rows):
                        continue
                    absorbed.append(_ref_member(ctx, f))
                    gone.add(i)
        if not absorbed:
            del root.evidence["absorbed"]
    return [x for i, x in enumerate(found) if i not in gone]


_ROWS = st.lists(st.integers(0, 5), min_size=0, max_size=4)
_FINDING = st.builds(
    lambda rule, rows, sup, cost, saving, ev: rb.Finding(
        rule_id=rule, rows=rows, title=f"t{rows}", cause="c", evidence=ev, supersedes=sup, cost_ms=cost,
        saving=saving),
    st.sampled_from(["a", "b", "c"]), _ROWS,
    st.sampled_from([(), ("a",), ("b", "a"), ("c", "b", "a")]),
    st.sampled_from([None, math.nan, 1.0]),
    st.none() | st.dictionaries(st.integers(0, 5), st.sampled_from([0.5, -0.0, math.nan, 1e-9]), max_size=3),
    st.sampled_from([0, 0, 1, 2]).map(lambda k: [{}, {"absorbed": []}, {"absorbed": ["before"]}][k]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FINDING, max_size=10), st.booleans())
def test_absorb_is_the_reference(findings: list[rb.Finding], full: bool) -> None:
    import copy
    import json

    from trtinspect.inspector import lint

    class _Ctx:
        def __init__(self) -> None:
            self.names = [f"L{i}" for i in range(6)]
            self.avg_ms = [0.1, math.nan, -0.0, 0.25, 1e-7, 3.0]
            self.detail = True
            self.full_members = full

    a = [(0, None, f) for f in findings]
    b = copy.deepcopy(a)
    got = lint._absorb(a, _Ctx())  # type: ignore[arg-type]
    want = _ref_absorb(b, _Ctx())  # type: ignore[arg-type]
    dump = [json.dumps([f.rule_id, f.rows, f.evidence], sort_keys=False) for _, _, f in got]
    assert dump == [json.dumps([f.rule_id, f.rows, f.evidence], sort_keys=False) for _, _, f in want]


def _ref_next_compute(ctx: rb.LintContext, r: int, downstream: bool, max_hops: int) -> list[tuple[int, list[int]]]:
    step = ctx.consumers if downstream else ctx.producers
    if not any(ctx.is_passthrough(x) for x in step[r]):  # the old direct-neighbour path
        return [(x, []) for x in dict.fromkeys(step[r]) if x != r]
    out: list[tuple[int, list[int]]] = []
    frontier: list[tuple[int, list[int]]] = [(x, []) for x in step[r]]
    seen = {r}
    hops = 0
    while frontier and hops <= max_hops:
        nxt: list[tuple[int, list[int]]] = []
        for x, path in frontier:
            if x in seen:
                continue
            seen.add(x)
            if ctx.is_passthrough(x):
                nxt.extend((y, [*path, x]) for y in step[x])
            else:
                out.append((x, path))
        frontier = nxt
        hops += 1
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n),
    st.lists(st.booleans(), min_size=n, max_size=n),
    st.integers(0, n - 1), st.integers(0, 4))))
def test_next_compute_through_edges_is_the_breadth_first_walk(
    case: tuple[list[list[int]], list[bool], int, int],
) -> None:
    edges, passthrough, r, max_hops = case
    ctx = object.__new__(rb.LintContext)
    ctx.has_edges = True
    ctx.n = len(edges)
    ctx.consumers = edges
    ctx.producers = [[a for a in range(len(edges)) if b in edges[a]] for b in range(len(edges))]
    ctx.__dict__["_passthrough"] = passthrough
    for downstream in (True, False):
        got = ctx.next_compute(r, downstream=downstream, max_hops=max_hops)
        assert got == _ref_next_compute(ctx, r, downstream, max_hops)
        paths = [p for _, p in got]
        assert len({id(p) for p in paths}) == len(paths)  # no two results share a path list


_MS = st.sampled_from([math.nan, 0.0, -0.0, 1e-9, 0.002, 0.0099, 0.01, 0.011, 0.012, 0.0125, 0.5, 3.0, -1.0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_MS, _MS), min_size=1, max_size=12))
def test_timing_rules_pick_the_rows_the_per_row_tests_pick(times: list[tuple[float, float]]) -> None:
    from types import SimpleNamespace

    from trtinspect.inspector import rules_timing as rt

    ctx = object.__new__(rb.LintContext)
    n = len(times)
    ctx.n, ctx.has_profile, ctx.detail = n, True, True
    ctx.avg_ms, ctx.median_ms = [a for a, _ in times], [m for _, m in times]
    ctx.per_layer_total_ms = math.fsum(a for a in ctx.avg_ms if not math.isnan(a)) or 1.0
    ctx.names = ctx.parameter_type = ctx.layer_type = [f"L{i}" for i in range(n)]
    ctx.__dict__.update(precision=[""] * n, tactic=[""] * n, _noop=[i % 3 == 0 for i in range(n)], cuda_graphs=None)
    # no profile frame (the printed averages are the averages) and no times file (no CV rule)
    ctx.bundle = SimpleNamespace(warnings=pd.DataFrame(), profile=pd.DataFrame(),
                                 timing=SimpleNamespace(gpu_compute=SimpleNamespace(source=None), samples={}),
                                 inference_options={}, extras={}, trt_version=None, sources=[])   # run settings
    timed = [r for r in range(n) if not math.isnan(ctx.avg_ms[r])]
    th = rt.THRESHOLDS["unstable-timing"]
    unstable = [r for r in timed if not (math.isnan(ctx.median_ms[r]) or ctx.median_ms[r] <= 0
                                         or max(ctx.avg_ms[r], ctx.median_ms[r]) < th["min_ms"])
                and abs(ctx.avg_ms[r] - ctx.median_ms[r]) / ctx.median_ms[r] >= th["min_relative_gap"]]
    assert [f.rows[0] for f in rt.check_unstable_timing(ctx)] == unstable
    total = ctx.per_layer_total_ms
    hot = [r for r in timed if total > 0 and ctx.avg_ms[r] / total >= rt.THRESHOLDS["hot-layer"]["min_share"]]
    assert [f.rows[0] for f in rt.check_hot_layers(ctx)] == hot
    tiny = [r for r in timed if 0 < ctx.avg_ms[r] < rt.THRESHOLDS["tiny-kernels"]["max_ms"] and not ctx.is_noop(r)]
    assert rt._timed(ctx) == timed
    got = rt.check_tiny_kernels(ctx)
    assert not got or got[0].rows == tiny


def _ref_total_saving(findings: pd.DataFrame, min_severity: str = "info") -> float:
    from trtinspect.inspector.lint import severity_at_least

    per_layer: dict[int, float] = {}
    for sev, kind, by_layer in zip(findings["severity"], findings["cost_kind"], findings["cost_by_layer"],
                                   strict=True):
        if kind != "estimated saving" or not severity_at_least(sev, min_severity) or not isinstance(by_layer, dict):
            continue
        for li, ms in by_layer.items():
            per_layer[int(li)] = max(per_layer.get(int(li), 0.0), float(ms))
    return math.fsum(per_layer.values()) if per_layer else math.nan


_CHARGES = st.dictionaries(st.integers(0, 6) | st.integers(2**62, 2**62 + 2) | st.sampled_from(["3", 2**70]),
                           _MS | st.floats(-1e6, 1e6) | st.just(math.nan), max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["info", "warning", "error"]),
                          st.sampled_from(["estimated saving", "layer time"]), _CHARGES | st.none()), max_size=6),
       st.sampled_from(["info", "warning", "error"]))
def test_total_saving_is_the_per_layer_max_sum(rows: list[tuple[str, str, object]], min_severity: str) -> None:
    from trtinspect.inspector.lint import total_saving

    frame = pd.DataFrame({"severity": [r[0] for r in rows], "cost_kind": [r[1] for r in rows],
                          "cost_by_layer": pd.Series([r[2] for r in rows], dtype=object)})
    got, want = total_saving(frame, min_severity), _ref_total_saving(frame, min_severity)
    assert (math.isnan(got) and math.isnan(want)) or got == want


@pytest.mark.parametrize("folder", BUNDLES)
def test_parsed_row_lists_are_the_frame_columns(folder: str) -> None:
    """LintContext takes the per-row lists the graph parser built the layers from (parsers.layers.row_lists)
    instead of converting the columns back: the same values as the columns give, for the parser's frames only
    (a copy of the frame, or a frame built elsewhere, is converted), and only while the frame lives."""
    import gc

    import trtinspect
    from trtinspect.parsers.layers import row_lists
    from trtinspect.parsers.model import EngineBundle

    bundle = trtinspect.load(ROOT / folder)
    lists = row_lists(bundle.layers)
    assert lists is not None or not bundle.detailed  # a log's layers are not the graph parser's frame
    fast = rb.LintContext(bundle)
    copied = EngineBundle(name=bundle.name, layers=bundle.layers.copy(), profile=bundle.profile,
                          detailed=bundle.detailed, extras=bundle.extras)
    assert row_lists(copied.layers) is None
    slow = rb.LintContext(copied)
    assert slow._lists is None and (fast._lists is not None) == (lists is not None)
    for column in ("names", "producers", "consumers", "inputs", "outputs", "attributes", "source_nodes"):
        assert getattr(fast, column) == getattr(slow, column), column
    frame = bundle.layers
    del bundle, fast, lists
    gc.collect()
    key = id(frame)
    del frame
    gc.collect()
    from trtinspect.parsers import layer_rows as parsed

    assert key not in parsed._ROW_LISTS


_DIM = st.sampled_from([-1, 0, 1, 2, 3, 4, 6, 8, 20, 24, 32, 64, 96, None, True, False, 2.5, "8"])
_SHAPE = st.one_of(st.lists(_DIM, min_size=2, max_size=5), st.lists(_DIM, max_size=5), st.none(), st.just("1x3"))
_TENSOR_SHAPE = st.one_of(st.fixed_dictionaries({"shape": _SHAPE}), st.just({}))
_TENSORS = st.one_of(st.lists(_TENSOR_SHAPE, min_size=1, max_size=2), st.just([]))
_MULTIPLE = st.sampled_from([None, 2, 4, 8, 16, 32])


@settings(max_examples=600, deadline=None)
@given(st.fixed_dictionaries({}, optional={"OutMaps": _DIM, "Groups": _DIM}), _TENSORS, _TENSORS, _MULTIPLE,
       _MULTIPLE)
def test_pads_nothing_is_the_channels_test(attrs: dict[str, object], ins: list[dict[str, object]],
                                           outs: list[dict[str, object]], mc: int | None, mk: int | None) -> None:
    """channel-alignment's first test (rules_kernels._pads_nothing) decides as the channels it reads with
    channels_of would: no C padded by the input format's multiple, no K by the output format's."""
    from trtinspect.inspector.rules_kernels import _pads_nothing

    c, k, _ = rb.channels_of(attrs, ins, outs)  # type: ignore[arg-type]
    pads_c = c is not None and mc is not None and bool(c % mc) and not (mc <= 4 and c <= 4)
    pads_k = k is not None and mk is not None and bool(k % mk)
    assert _pads_nothing(attrs, ins, outs, mc, mk) == (not pads_c and not pads_k)  # type: ignore[arg-type]
