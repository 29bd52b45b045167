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

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.inspector import precision as prec
from trtinspect.inspector import rules_causes, rules_precision
from trtinspect.inspector.rules_base import LintContext
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


def _ref_residual_readers(ctx: LintContext, r: int) -> list[int]:
    if not ctx.has_edges:
        return []
    return [
        c for c in ctx.consumers[r]
        if ctx.is_conv(c) and rules_precision._reads_float(ctx, r, c, non_first=True)
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
            parts = rules_precision.fallback_parts(ctx, r)
            if parts is not None:
                out[r] = parts
    return out


def _check(ctx: LintContext) -> None:
    assert ctx.input_readers == _ref_input_readers(ctx)
    writers = rules_precision.int8_float_writers(ctx)
    assert writers == _ref_float_writers(ctx)
    assert rules_precision.residual_readers(ctx) == {r: _ref_residual_readers(ctx, r) for r in writers}
    for p in range(ctx.n):
        for c in ctx.consumers[p]:
            assert rules_precision.reads_residual(ctx, p, c) == rules_precision._reads_float(ctx, p, c, non_first=True)
    assert rules_precision.fallbacks(ctx) == _ref_fallbacks(ctx)
    assert rules_causes.padding_rows(ctx) == [r for r in range(ctx.n) if rules_causes._is_padding(ctx, r)]


@pytest.mark.parametrize("folder", BUNDLES)
def test_shared_facts_match_the_per_row_definitions_on_real_bundles(folder: str) -> None:
    import trtinspect

    _check(LintContext(trtinspect.load(ROOT / folder)))


# --- generated graphs ----------------------------------------------------------------------------------------
_FORMATS = ["Channel major FP16 format where channel % 8 == 0", "Row major linear FP32",
            "Thirty-two wide channel vectorized row major Int8 format"]
_TYPES = [("CaskConvolution", "Convolution"), ("Reformat", "Reformat"), ("TiledPooling", "Pooling"),
          ("NoOp", ""), ("Padding", "Padding"), ("CaskPooling", "Slice")]
_TENSOR = st.fixed_dictionaries(
    {"Dimensions": st.sampled_from([[1, 64, 8, 8], [1, 32, 4, 4]]), "Format/Datatype": st.sampled_from(_FORMATS),
     "Location": st.just("Device")},
    optional={"Name": st.sampled_from(["a", "b", "c", "d", "e", "f", "input"])},
)


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 9))
    records = []
    for i in range(n):
        ltype, ptype = draw(st.sampled_from(_TYPES))
        name = draw(st.sampled_from([f"Conv_{i}", f"QuantizeLinear_{i}", f"pad_{i}", f"DequantizeLinear_{i}",
                                     f"Reformatting CopyNode for Input Tensor 0 to Conv_{i + 1}"]))
        records.append({
            "Name": name, "LayerType": ltype, "ParameterType": ptype, "TacticValue": "0x0",
            "Inputs": draw(st.lists(_TENSOR, max_size=3)), "Outputs": draw(st.lists(_TENSOR, min_size=1, max_size=2)),
        })
    return records


@settings(max_examples=300, deadline=None)
@given(_records())
def test_shared_facts_match_the_per_row_definitions_on_generated_graphs(records: list[dict[str, Any]]) -> None:
    bundle = EngineBundle(name="generated", layers=frame_from_layer_records(records), detailed=True)
    _check(LintContext(bundle))
