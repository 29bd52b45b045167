"""The precision/cause lint rules' shared per-context facts give exactly what the per-row definitions give
(issue 11, speed half): LintContext.input_readers (only rows with fewer producers than inputs are looked
at), the residual-input index behind reads_residual / residual_readers, and the candidate-row scans
(int8_float_writers, fallbacks, padding_rows). The per-row definitions below are the general code the fast
paths replaced, kept as the oracle; they run on real bundles and on small GENERATED graphs (hypothesis)
built through the graph-JSON parser, with unnamed, shared, looping and multiply-written tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_causes, rules_facts, rules_float_output, rules_precision
from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.parsers.layers import frame_from_layer_records
from trtinspect.parsers.model import EngineBundle

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = [
    "sample_engines/resnet18-a100/qat-residual",
    "sample_engines/resnet18-a100/qat-residual-qgap",
    "sample_engines/resnet18-a100/qat",
    "sample_engines/resnet18-a100/fp16",
    "tests/data/external/trex-titanrtx-mobilenet/qat-residuals",
    "tests/data/external/trex-rtx3090-resnet50/qat",
    "sample_engines/trtexec-logs/trt8.4/result-FP16.log",
]


# --- the per-row definitions (reference) --------------------------------------------------------------------
def _ref_input_readers(ctx: LintContext) -> list[int]:
    if not ctx.has_edges:
        return [0] if ctx.n else []
    written = {t.get("name") for outs in ctx.outputs for t in outs}
    return [r for r, ins in enumerate(ctx.inputs) if any(t.get("name") not in written for t in ins)]


def _ref_input_path(ctx: LintContext) -> list[int]:
    rows: list[int] = []
    seen: set[int] = set()
    frontier = list(_ref_input_readers(ctx))
    while frontier and len(seen) <= 64:
        r = frontier.pop(0)
        if r in seen:
            continue
        seen.add(r)
        if rules_causes._is_input_movement(ctx, r) is not None:
            rows.append(r)
        elif not ctx.is_noop(r):
            continue
        frontier.extend(ctx.consumers[r] if ctx.has_edges else ([r + 1] if r + 1 < ctx.n else []))
    return sorted(rows)


def _ref_residual_readers(ctx: LintContext, r: int) -> list[int]:
    if not ctx.has_edges:
        return []
    return [
        c for c in ctx.consumers[r]
        if ctx.is_conv(c) and rules_facts.reads_float(ctx, r, c, non_first=True)
    ]


def _ref_float_writers(ctx: LintContext) -> list[int]:
    return [
        r for r in range(ctx.n)
        if ctx.is_conv(r) and ctx.precision[r] in prec.QUANTIZED_PRECISIONS and prec.is_float(ctx.output_precision[r])
    ]


def _ref_fallbacks(ctx: LintContext) -> dict[int, Any]:
    out = {}
    for r in range(ctx.n):
        if prec.is_float(ctx.precision[r]) and not ctx.is_passthrough(r):
            parts = rules_facts.fallback_parts(ctx, r)
            if parts is not None:
                out[r] = parts
    return out


def _ref_warnings_for(ctx: LintContext, r: int) -> list[str]:
    w = ctx.bundle.warnings
    if w.empty:
        return []
    names = {ctx.names[r], *ctx.source_nodes[r]}
    hits = w[w["layer"].isin(list(names)).fillna(False).astype(bool)]
    return [str(m) for m in hits["message"].tolist()]


def _same_float(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or a == b


RULES = [rules_causes.check_residual_not_quantized, rules_causes.check_input_path, rules_precision.check_reformats,
         rules_precision.check_qdq, rules_precision.check_int8_fallback,
         rules_float_output.check_int8_float_output]
# what a finding shown without its cause and evidence (LintContext.detail False) must still say exactly
DECISIONS = ["rule_id", "rows", "title", "confidence", "severity", "cost_ms", "mitigation", "cost_kind",
             "cost_method", "group", "group_title", "group_always", "escalate", "supersedes"]


def _decisions(f: Finding) -> tuple[Any, ...]:
    saving = None if f.saving is None else {r: (None if np.isnan(v) else v) for r, v in f.saving.items()}
    return (*(getattr(f, k) for k in DECISIONS), saving)


def _check_rules(full: LintContext, summary: LintContext) -> None:
    """The precision rules decide the same with and without detail (only cause and evidence may be empty),
    except that without detail they leave out the findings a final root cause (residual-not-quantized,
    input-path: no rule supersedes them) absorbs, which lint drops: all their rows among the root's."""
    roots: dict[str, list[set[int]]] = {}
    for check in RULES:
        mine, theirs = check(full), check(summary)
        kept = [f for f in mine if not any(c >= set(f.rows) for c in roots.get(f.rule_id, []))]
        assert [_decisions(f) for f in kept] == [_decisions(f) for f in theirs], check.__name__
        assert all(not f.cause and not f.evidence for f in theirs), check.__name__
        for f in mine:
            assert not set(f.supersedes) & set(rules_facts.FINAL_ROOTS), f.rule_id
            if f.rule_id in rules_facts.FINAL_ROOTS:
                for rule_id in f.supersedes:
                    roots.setdefault(rule_id, []).append(set(f.rows))


def _ref_residual_inputs(ctx: LintContext) -> dict[int, set[Any]]:
    out = {}
    for r in range(ctx.n):
        names = {t.get("name") for t in ctx.inputs[r][1:] if prec.is_float(t.get("dtype"))}
        if names and ctx.is_conv(r):
            out[r] = names
    return out


def _ref_residual_dtypes(ctx: LintContext) -> dict[int, str]:
    """The dtype of each residual reader's first float non-first input (what its evidence names)."""
    out = {}
    for r in _ref_residual_inputs(ctx):
        out[r] = next(str(t.get("dtype")) for t in ctx.inputs[r][1:] if prec.is_float(t.get("dtype")))
    return out


_MULTIPLES = [None, 2, 4, 8, 32]


def _check_conv_tensors(ctx: LintContext) -> None:
    """The one pass over the convolutions' tensors (rules_facts.conv_tensors, parser-made tensors) gives what the
    general code gives: the INT8 savings, the residual inputs and readers, channel-alignment's first test."""
    from trtinspect.inspector.rules_kernels import _may_pad_parsed, _pads_nothing

    read = rules_facts.conv_tensors(ctx)
    assert read is not None and ctx.parsed_tensors  # graph-parser tensors: the fast path runs
    general = LintContext(ctx.bundle, detail=ctx.detail)
    general.avg_ms, general.weights_bytes = ctx.avg_ms, ctx.weights_bytes  # type: ignore[misc]
    general.parsed_tensors = False
    assert rules_facts.conv_tensors(general) is None
    fast_savings, slow_savings = rules_facts.int8_savings(ctx), rules_facts.int8_savings(general)
    assert list(fast_savings) == list(slow_savings)
    assert all(_same_float(v, slow_savings[r]) for r, v in fast_savings.items())
    assert rules_facts.residual_inputs(ctx) == rules_facts.residual_inputs(general) == _ref_residual_inputs(ctx)
    assert rules_facts.residual_readers(ctx) == rules_facts.residual_readers(general)
    assert rules_facts.residual_dtypes(ctx) == rules_facts.residual_dtypes(general) == _ref_residual_dtypes(ctx)
    attrs, ins, outs = ctx.attributes, ctx.inputs, ctx.outputs
    for mc in _MULTIPLES:
        for mk in _MULTIPLES:
            multiples = [(r, mc, mk) for r in ctx.conv_rows]
            assert _may_pad_parsed(ctx, multiples, read) == [
                (r, c, k) for r, c, k in multiples if not _pads_nothing(attrs[r], ins[r], outs[r], c, k)]


def _check(ctx: LintContext) -> None:
    rows = list(range(ctx.n))
    if ctx.parsed_tensors:
        _check_conv_tensors(ctx)
    savings = rules_facts.int8_savings(ctx)
    assert list(savings) == rules_facts.int8_float_writers(ctx)
    assert all(_same_float(v, ctx._int8_write_saving(r)) for r, v in savings.items())
    assert all(rules_facts.warnings_for(ctx, r) == _ref_warnings_for(ctx, r) for r in rows)
    fresh = LintContext(ctx.bundle)  # one at a time, before (and after) the whole list is built
    fresh.avg_ms = ctx.avg_ms
    assert list(fresh.iter_input_readers()) == _ref_input_readers(ctx)
    assert rules_causes._input_path(fresh) == _ref_input_path(ctx)  # the readers found as the walk takes them
    assert ctx.input_readers == _ref_input_readers(ctx) == list(ctx.iter_input_readers())
    writers = rules_facts.int8_float_writers(ctx)
    assert writers == _ref_float_writers(ctx)
    assert rules_facts.residual_readers(ctx) == {r: _ref_residual_readers(ctx, r) for r in writers}
    for p in range(ctx.n):
        for c in ctx.consumers[p]:
            assert rules_facts.reads_residual(ctx, p, c) == rules_facts.reads_float(ctx, p, c, non_first=True)
    if ctx.has_edges:  # the re-quantizers read from the consumers, where they decide it, are the walk's
        for r in rows:
            direct = rules_float_output.direct_requantizers(ctx.consumers, ctx._passthrough, ctx._qdq, ctx._noop, r)
            walked = ctx.next_compute(r, downstream=True)
            if direct is not None:
                assert direct == rules_float_output.requantizers(ctx._qdq, ctx._noop, ctx.consumers[r], walked)
            if direct == []:  # int8-float-output's test for a layer feeding only the network output, without a walk
                assert (ctx.consumers[r].count(r) == len(ctx.consumers[r])) == (not walked)
                assert r not in direct and (bool(walked) or bool(direct) or not ctx.consumers[r] or
                                            set(ctx.consumers[r]) == {r})
    assert rules_facts.fallbacks(ctx) == _ref_fallbacks(ctx)
    assert rules_causes.padding_rows(ctx) == [r for r in range(ctx.n) if rules_causes._is_padding(ctx, r)]


@pytest.mark.parametrize("folder", BUNDLES)
def test_shared_facts_match_the_per_row_definitions_on_real_bundles(folder: str) -> None:
    import trtinspect

    bundle = trtinspect.load(ROOT / folder)
    ctx = LintContext(bundle)
    _check(ctx)
    _check_rules(ctx, LintContext(bundle, detail=False))


# --- generated graphs ----------------------------------------------------------------------------------------
_FORMATS = ["Channel major FP16 format where channel % 8 == 0", "Row major linear FP32",
            "Thirty-two wide channel vectorized row major Int8 format"]
_CONV = ("CaskConvolution", "Convolution")
_TYPES = [_CONV, _CONV, _CONV, ("Reformat", "Reformat"), ("TiledPooling", "Pooling"), ("NoOp", ""),
          ("Padding", "Padding"), ("CaskPooling", "Slice"), ("Scale", "Quantize"), ("Scale", "Dequantize")]
# shapes as a graph JSON may hold them: the usual (most), and ones no element count can be read from (a dynamic
# dimension, a product past any real tensor); shapes no engine has ([True, 3], [1, 2.5], [1, None], [2**70, 2],
# nested lists) are refused by the parser (tests/test_trial_four.py)
_DIMS = [[1, 64, 8, 8]] * 12 + [[1, 32, 4, 4]] * 12 + [[8, 16], [1, -1, 4, 4], [1, 0, 4], [], [-2, 3],
                                                 [2**40, 2**20, 4]]
# channels a vectorised format pads (3 -> 32 in NC/32HW32, 20 -> 24 in NHWC8; a 5-D tensor's channel dimension)
_DIMS += [[1, 3, 8, 8]] * 4 + [[2, 20, 4, 4]] * 4 + [[1, 12, 2, 4, 4], [1, -1, 4, 4]]
_TENSOR = st.fixed_dictionaries(
    {"Dimensions": st.sampled_from(_DIMS), "Format/Datatype": st.sampled_from([*_FORMATS, _FORMATS[2]]),
     "Location": st.just("Device"), "Name": st.sampled_from(["a", "b", "c", "d", "e", "f", "input", None])},
)
_NAMES = ["Conv_{i}", "QuantizeLinear_{i}", "pad_{i}", "DequantizeLinear_{i}",
          "Reformatting CopyNode for Input Tensor 0 to Conv_{j}",
          "Reformatting CopyNode for Output Tensor 0 to Conv_{i}"]


def test_conv_tensors_on_every_channel_case() -> None:
    """conv_tensors and channel-alignment's first test on convolutions with every kind of OutMaps (absent, a
    K, zero, negative, a bool, no number) and input/output shapes (channels a format pads or not, none, a
    dynamic one, too few dimensions, no shape), each against the general code (_check_conv_tensors)."""
    out_maps: list[dict[str, Any]] = [{}, *({"OutMaps": v} for v in (64, 20, 3, 0, -1, True, 2.5, "64", None))]
    dims: list[Any] = [[1, 64, 8, 8], [2, 20, 4, 4], [1, 3, 8, 8], [1, -1, 4, 4], [8], [], None]
    records = []
    for i, (attrs, d_in, d_out) in enumerate(
            (a, x, y) for a in out_maps for x in [*dims, "none"] for y in dims):
        tensor_in = [] if d_in == "none" else [
            {"Name": f"i{i}", "Dimensions": d_in, "Format/Datatype": _FORMATS[i % 3]}]
        records.append({"Name": f"Conv_{i}", "LayerType": "CaskConvolution", "ParameterType": "Convolution",
                        "Inputs": tensor_in, "Outputs": [{"Name": f"o{i}", "Dimensions": d_out,
                                                          "Format/Datatype": _FORMATS[(i + 1) % 3]}], **attrs})
    bundle = EngineBundle(name="generated", layers=frame_from_layer_records(records), detailed=True)
    _check_conv_tensors(LintContext(bundle))


_OUT_MAPS = st.sampled_from([64, 20, 3, 0, -1, True, 2.5, "64", None])  # a convolution's K, or what is no K


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 12))
    records = []
    for i in range(n):
        ltype, ptype = draw(st.sampled_from(_TYPES))
        name = draw(st.sampled_from(_NAMES)).format(i=i, j=i + 1)
        records.append({
            "Name": name, "LayerType": ltype, "ParameterType": ptype, "TacticValue": "0x0",
            "Inputs": draw(st.lists(_TENSOR, max_size=3)), "Outputs": draw(st.lists(_TENSOR, min_size=1, max_size=2)),
            **draw(st.fixed_dictionaries({}, optional={"OutMaps": _OUT_MAPS})),
        })
    return records


_MS = st.one_of(st.just(float("nan")), st.just(0.0), st.floats(0.001, 5.0))


@st.composite
def _engines(draw: st.DrawFn) -> tuple[EngineBundle, list[float], list[float]]:
    """A generated graph, per-layer times and weight sizes, and build-log warnings naming some layers."""
    records = draw(_records())
    layers = frame_from_layer_records(records)
    n = len(layers)
    times = draw(st.lists(_MS, min_size=n, max_size=n))
    weights = draw(st.lists(st.one_of(st.just(float("nan")), st.floats(0, 1e6)), min_size=n, max_size=n))
    named = draw(st.lists(st.sampled_from([*layers["name"].tolist(), None, "other"]), max_size=4))
    warnings = pd.DataFrame({
        "kind": pd.Series(["missing_int8_scales"] * len(named), dtype="string"),
        "severity": pd.Series(["W"] * len(named), dtype="string"),
        "line_no": pd.Series(range(len(named)), dtype="int64"),
        "message": pd.Series([f"warning {i}" for i in range(len(named))], dtype="string"),
        "layer": pd.Series(named, dtype="string"),
    })
    # a device whose bandwidth is known (the INT8 write savings are estimated), sometimes none (NaN savings)
    device = draw(st.sampled_from([{}, {"memory_clock_ghz": 1.512, "memory_bus_width_bits": 5120},
                                   {"memory_clock_ghz": 0.3, "memory_bus_width_bits": 64}]))
    bundle = EngineBundle(name="generated", layers=layers, detailed=True, warnings=warnings,
                          build_options={"Precision": "FP16+INT8"}, device=device)
    return bundle, times, weights


def _context(bundle: EngineBundle, times: list[float], weights: list[float], *, detail: bool) -> LintContext:
    ctx = LintContext(bundle, detail=detail)
    ctx.avg_ms = times  # the timing the rules read (the generated graph has no profile)
    ctx.weights_bytes = weights  # type: ignore[misc]
    return ctx


@settings(max_examples=120, deadline=None)
@given(_engines())
def test_shared_facts_match_the_per_row_definitions_on_generated_graphs(
    engine: tuple[EngineBundle, list[float], list[float]],
) -> None:
    bundle, times, weights = engine
    ctx = _context(bundle, times, weights, detail=True)
    _check(ctx)
    summary = _context(bundle, times, weights, detail=False)
    _check_rules(_context(bundle, times, weights, detail=True), summary)


def test_summary_keeps_an_output_dequantize_a_root_holds_only_in_part() -> None:
    """Without detail, qdq-standalone leaves out a Q/DQ layer a final root absorbs, but a Dequantize writing a network
    output is one finding with the reformat before it: absorbed only when the root holds both. Here the input-path
    root holds the Dequantize (an input Quantize-typed layer read from a reformat of the network input) but not the
    other reformat writing its input: lint shows the finding, so the summary (report, diff) must too (found by
    the generated-graph test above)."""
    fp16, int8 = _FORMATS[0], _FORMATS[2]

    def tensor(name: str, fmt: str) -> dict[str, Any]:
        return {"Name": name, "Dimensions": [1, 64, 8, 8], "Format/Datatype": fmt, "Location": "Device"}

    records = [
        {"Name": "Conv_0", "LayerType": "Reformat", "ParameterType": "Reformat", "TacticValue": "0x0",
         "Inputs": [], "Outputs": [tensor("a", fp16)]},
        {"Name": "Conv_1", "LayerType": "Reformat", "ParameterType": "Reformat", "TacticValue": "0x0",
         "Inputs": [tensor("c", fp16)], "Outputs": [tensor("a", fp16)]},
        {"Name": "Conv_2", "LayerType": "Scale", "ParameterType": "Quantize", "TacticValue": "0x0",
         "Inputs": [tensor("a", int8), tensor("a", fp16)], "Outputs": [tensor("b", fp16)]},
    ]
    bundle = EngineBundle(name="generated", layers=frame_from_layer_records(records), detailed=True,
                          build_options={"Precision": "FP16+INT8"})
    nan = [float("nan")] * 3
    full, summary = _context(bundle, nan, nan, detail=True), _context(bundle, nan, nan, detail=False)
    assert [f.rows for f in rules_precision.check_qdq(full)] == [[0, 2]]
    _check_rules(_context(bundle, nan, nan, detail=True), summary)


@pytest.mark.parametrize("folder", BUNDLES)
def test_no_rule_supersedes_a_final_root(folder: str) -> None:
    """rules_facts.FINAL_ROOTS are never absorbed themselves (what lets the rules after them leave out, without
    detail, the findings they absorb): no finding of any rule supersedes them."""
    import trtinspect
    from trtinspect.inspector.rules import RULES as ALL_RULES

    ctx = LintContext(trtinspect.load(ROOT / folder))
    for rule in ALL_RULES:
        assert all(not set(f.supersedes) & set(rules_facts.FINAL_ROOTS) for f in rule.check(ctx)), rule.id


@settings(max_examples=60, deadline=None)
@given(_engines())
def test_summary_lint_matches_the_full_lint_on_generated_graphs(
    engine: tuple[EngineBundle, list[float], list[float]],
) -> None:
    """lint(detail=False), whose rules leave out what a final root absorbs, lists the same findings."""
    from trtinspect.inspector.lint import lint

    bundle = engine[0]
    full = lint(bundle)
    summary = lint(EngineBundle(name="generated", layers=bundle.layers, detailed=True, warnings=bundle.warnings,
                                build_options=bundle.build_options, device=bundle.device), detail=False)
    for col in ("finding_id", "rule_id", "severity", "title", "layer_indices", "cost_kind", "confidence"):
        assert summary[col].tolist() == full[col].tolist(), col
