"""The lint detail phase's fast paths (issue 11, speed half) give exactly what the general code gives.

* ``lint._row`` (one finding's column values and sort key) is the per-column ``_append`` it replaced, kept
  below as the oracle (``cost_by_layer`` copied whole when the cost is a number).
* ``Sink.referencer`` (how the rules keep the findings a final root absorbs, as references) makes the member
  ``lint._members`` makes of the same finding.
* ``lint._absorb`` skipping a root whose Sink took every finding it covers changes nothing.
* ``rules_precision._qdq_operations`` (decided once per pair of tensor precisions) is ``_qdq_operation``.
* The cause and evidence the rules leave for later (``rules_facts.Later``: built only for the findings the
  engine shows whole) make the same lint output as built at once, on the real bundles and GENERATED engines
  (benchmarks/generated_engine.py, BIG's recipe at 1,200 layers); a deferred Q/DQ finding's severity and group
  come from ``_qdq_kind``, the same as ``_qdq_detail`` finds.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import tempfile
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trtinspect
from trtinspect.inspector import lint, rules_facts, rules_precision
from trtinspect.inspector import rules_base as rb
from trtinspect.inspector.rules import RULES, SEVERITY_RANK

_N = 6
_MS = st.sampled_from([0.5, -0.0, 0.0, math.nan, 1e-9, 3.0, 1e300])
_ROWS = st.lists(st.integers(0, _N - 1), min_size=0, max_size=4)


class _Ctx:
    def __init__(self, full: bool = False, index_is_row: bool = True, has_profile: bool = True,
                 total: float = 2.0) -> None:
        self.names = [f"L{i}" for i in range(_N)]
        self.avg_ms = [0.1, math.nan, -0.0, 0.25, 1e-7, 3.0]
        self.detail = True
        self.full_members = full
        self.index_is_row = index_is_row
        self.layer_index = list(range(_N)) if index_is_row else [10 + 3 * i for i in range(_N)]
        self.has_profile = has_profile
        self.total_ms = total


def _finding(rule_id: str, rows: list[int], cost: float | None, saving: dict[int, float] | None,
             extra: dict[str, Any]) -> rb.Finding:
    return rb.Finding(rule_id=rule_id, rows=rows, title=f"t{rows}", cause="c", cost_ms=cost, saving=saving,
                      **extra)


_EXTRA = st.fixed_dictionaries({}, optional={
    "severity": st.sampled_from(["info", "warning", "error"]),
    "confidence": st.sampled_from(["proven", "inferred"]),
    "cost_kind": st.sampled_from(["estimated saving", "layer time", "not estimated", "other"]),
    "cost_method": st.sampled_from(["m1", "m2"]),
    "mitigation": st.sampled_from(["do x"]),
    "escalate": st.booleans(),
})
_FINDING = st.builds(
    _finding, st.sampled_from(["a", "b", "c"]), _ROWS, st.sampled_from([None, math.nan, 1.0]),
    st.none() | st.dictionaries(st.integers(0, _N - 1), _MS, max_size=4), _EXTRA,
)


def _ref_append(cols: dict[str, list[Any]], keys: list[tuple[Any, ...]], ctx: Any, rule: Any, f: rb.Finding,
                order: int, seen: dict[str, int]) -> None:
    """The per-column code lint._row replaced (main f21cea2), the oracle."""
    rows = list(dict.fromkeys(f.rows))
    names = list(map(ctx.names.__getitem__, rows))
    saving = lint._saving(ctx, f)
    cost = math.fsum(saving.values()) if saving else math.nan
    total = ctx.total_ms
    pct = cost / total * 100.0 if total > 0 else math.nan
    kind = f.cost_kind or rule.cost_kind
    method = f.cost_method or rule.cost_method
    if math.isnan(cost):
        kind = "not estimated"
        if not ctx.has_profile and rows and f.cost_method is None:
            method = "no per-layer profile: layer times unknown"
    severity = f.severity or rule.severity
    if (severity == "warning" and f.escalate and f.confidence == "proven" and kind == "estimated saving"
            and not math.isnan(pct) and pct >= lint.ERROR_SAVING_SHARE * 100.0):
        severity = "error"
    cause = f.cause
    if math.isnan(cost) and not ctx.has_profile and rows and f.cost_method is None:
        cause = f"{cause} (cost unknown: no per-layer profile)"
    indices = rows if ctx.index_is_row else list(map(ctx.layer_index.__getitem__, rows))
    cols["finding_id"].append(lint._finding_id(rule.id, names, seen))
    cols["rule_id"].append(rule.id)
    cols["severity"].append(severity)
    cols["title"].append(f.title)
    cols["layer_indices"].append(indices)
    cols["layer_names"].append(names)
    cols["evidence"].append(f.evidence)
    cols["cause"].append(cause)
    cols["cost_ms"].append(cost)
    cols["cost_pct"].append(pct)
    cols["cost_kind"].append(kind)
    cols["cost_method"].append(method)
    if not saving:
        by_layer = {}
    elif ctx.index_is_row:
        by_layer = {r: ms for r, ms in saving.items() if not math.isnan(ms)}
    else:
        by_layer = {ctx.layer_index[r]: ms for r, ms in saving.items() if not math.isnan(ms)}
    cols["cost_by_layer"].append(by_layer)
    cols["confidence"].append(f.confidence)
    cols["mitigation"].append(f.mitigation or rule.mitigation)
    cols["reference"].append(rule.reference)
    unknown = math.isnan(cost)
    keys.append((-SEVERITY_RANK[severity], lint.COST_KIND_RANK.get(kind, len(lint.COST_KIND_RANK)),
                 0.0 if unknown else -cost, order, indices[0] if indices else -1))


def _same(a: Any, b: Any) -> bool:
    """Equal as the outputs print them (NaN equal to NaN, -0.0 told from 0.0)."""
    return json.dumps(a, default=str) == json.dumps(b, default=str)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_FINDING, st.sampled_from(RULES)), max_size=8), st.booleans(), st.booleans(),
       st.sampled_from([2.0, 0.0, 1e-12]))
def test_row_is_the_per_column_append(found: list[tuple[rb.Finding, Any]], index_is_row: bool,
                                      has_profile: bool, total: float) -> None:
    ctx = _Ctx(index_is_row=index_is_row, has_profile=has_profile, total=total)
    cols: dict[str, list[Any]] = {c: [] for c in lint._COLUMNS}
    want_keys: list[tuple[Any, ...]] = []
    seen_a: dict[str, int] = {}
    seen_b: dict[str, int] = {}
    for order, (f, rule) in enumerate(found):
        _ref_append(cols, want_keys, ctx, rule, f, order, seen_a)
        values, key = lint._row(ctx, rule, f, order, seen_b)  # type: ignore[arg-type]
        want = tuple(cols[c][-1] for c in lint._COLUMNS)
        assert _same(values, want)
        assert [type(v) for v in values] == [type(v) for v in want]
        assert _same(key, want_keys[-1])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.lists(st.integers(0, _N - 1), min_size=1, max_size=4),
                          st.none() | st.dictionaries(st.integers(0, _N - 1), _MS, max_size=4),
                          st.sampled_from([None, math.nan, 1.0])), max_size=8))
def test_referencer_makes_the_reference_member(found: list[tuple[str, list[int], Any, Any]]) -> None:
    ctx = _Ctx()
    root = rb.Finding(rule_id="root", rows=list(range(_N - 1, -1, -1)), title="r", cause="", supersedes=("b", "a"))
    sink = rules_facts.Sink(root)
    refer = {rule_id: sink.referencer(ctx, rule_id) for rule_id in ("a", "b")}  # type: ignore[arg-type]
    want: list[tuple[int, int, int, dict[str, Any]]] = []
    for i, (rule_id, rows, saving, cost) in enumerate(found):
        refer[rule_id](rows, f"t{i}", saving, cost)
        f = rb.Finding(rule_id=rule_id, rows=rows, title=f"t{i}", cause="x", saving=saving, cost_ms=cost)
        member = lint._members(ctx, [f], full=False)[0]  # type: ignore[arg-type]
        want.append((root.supersedes.index(rule_id), _N - 1 - rows[0], i, member))
    assert _same(sink.members(), [m for *_, m in sorted(want, key=lambda x: x[:3])])


@settings(max_examples=300, deadline=None)
@given(st.lists(_FINDING, max_size=10), _ROWS.filter(bool), st.booleans())
def test_absorb_skips_a_root_whose_sink_took_its_members(findings: list[rb.Finding], rows: list[int],
                                                         full: bool) -> None:
    root = rb.Finding(rule_id="r", rows=rows, title="root", cause="", supersedes=("b", "a"))
    covered = set(rows)
    # what the root's Sink took: every finding of a rule it supersedes with all its rows among the root's
    left = [f for f in findings if not (f.rule_id in root.supersedes and f.rows and covered.issuperset(f.rows))]
    found = [(0, None, root), *((1, None, f) for f in left)]
    again = copy.deepcopy(found)
    got = lint._absorb(found, _Ctx(full), [found[0][2]])  # type: ignore[arg-type]
    want = lint._absorb(again, _Ctx(full))  # type: ignore[arg-type]
    assert _same([[f.rule_id, f.rows, f.evidence] for _, _, f in got],
                 [[f.rule_id, f.rows, f.evidence] for _, _, f in want])


_DTYPE = st.sampled_from([None, "", "INT8", "FP16", "FP32", "FP8", "Int8", 0, 1])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_DTYPE, _DTYPE, st.sampled_from(["q", "DequantizeLinear_3", "x_dequant", "Q"])),
                max_size=10))
def test_qdq_operations_is_qdq_operation(rows: list[tuple[Any, Any, str]]) -> None:
    ctx: Any = SimpleNamespace(names=[name for _, _, name in rows])
    operation = rules_precision._qdq_operations(ctx)
    for r, (ip, op, _) in enumerate(rows):
        assert operation(r, ip, op) == rules_precision._qdq_operation(ctx, r, ip, op)


ROOT = Path(__file__).resolve().parents[1]
REAL = [
    "sample_engines/resnet18-a100/qat",
    "sample_engines/resnet18-a100/qat-residual",
    "sample_engines/resnet18-a100/qat-residual-qgap",
    "sample_engines/resnet18-a100/fp16",
    "tests/data/external/trex-rtx3090-resnet50/qat",
    "tests/data/external/trex-titanrtx-mobilenet/qat",
    "tests/data/external/trex-titanrtx-mobilenet/qat-residuals",
    "sample_engines/trtexec-logs/trt8.4/result-FP16.log",
]


@cache
def _generated(variant: str) -> str:
    """A GENERATED 1,200-layer engine (benchmarks/generated_engine.py: BIG's recipe), in a temporary folder."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_engine import generate

    return str(generate(Path(tempfile.mkdtemp(prefix="trtinspect-gen-")), 1200, variant, indent=None).folder)


def _engines() -> list[str]:
    return [*(str(ROOT / p) for p in REAL), "generated:qat", "generated:qat-residual"]


def _path(name: str) -> str:
    return _generated(name.split(":", 1)[1]) if name.startswith("generated:") else name


@pytest.mark.parametrize("name", _engines(), ids=lambda p: Path(p).name)
def test_deferred_detail_is_the_detail(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from trtinspect.render.lint import to_json, to_text

    path = _path(name)
    rules: list[list[str] | None] = [None, ["int8-float-output", "qdq-standalone", "reformat-copy", "int8-fallback"]]

    def outputs() -> list[str]:
        got = []
        for chosen in rules:
            bundle = trtinspect.load(path)
            found = lint.lint(bundle, chosen)
            got += [to_json(found, bundle), to_text(found, bundle)]
        return got

    deferred = outputs()
    monkeypatch.setattr(rules_facts, "deferring", lambda ctx: False)
    assert deferred == outputs()


@pytest.mark.parametrize("name", _engines(), ids=lambda p: Path(p).name)
def test_qdq_kind_is_the_detail_kind(name: str) -> None:
    bundle = trtinspect.load(_path(name))
    ctx = rb.LintContext(bundle, detail=True)
    for r in rules_precision._rows_where(ctx, ctx._qdq):
        ins, outs = ctx.inputs[r], ctx.outputs[r]
        tensors = (ins[0] if ins else None, outs[0] if outs else None)
        ip = tensors[0].get("dtype") if tensors[0] else None
        op = tensors[1].get("dtype") if tensors[1] else None
        op_name = rules_precision._qdq_operation(ctx, r, ip, op)
        assert rules_precision._qdq_kind(ctx, r, op_name) == rules_precision._qdq_detail(ctx, r, op_name, tensors)[:2]
