"""A reformat copy that one engine needs and the other does not, because its producer writes the tensor itself
(review of `trtinspect diff`, defect 1). In fp16 the last FC (Gemm_48) writes FP16 (NHWC8) and TensorRT converts it
for the FP32 network output with copies around the no-op `reshape_after_Gemm_48` (the layer JSON: `Reformatting
CopyNode for Output Tensor 0 to reshape_after_Gemm_48` reads "Row major linear FP16", writes "Row major linear
FP32", 0.007168 ms); in qgap the INT8 `fc` writes "Row major linear FP32" itself. diff said "no-op layer (A:
reshape_after_Gemm_48; B: copied_squeeze_after_...) moved from FP16 to FP32 (-0.007 ms)"."""

from __future__ import annotations

import html
import json

import pytest
from click.testing import CliRunner

from trtinspect.cli import cli

S = "sample:resnet18-a100"
REMOVED = ("B removed the 2 reformat copies that converted A's FP16 (NHWC8) output of Gemm_48 to FP32 (NCHW) for "
           "the network output around the no-op layer reshape_after_Gemm_48: B's fc writes FP32 (NCHW) itself "
           "(-0.007 ms)")
ADDED = ("B added the 2 reformat copies that convert B's FP16 (NHWC8) output of Gemm_48 to FP32 (NCHW) for the "
         "network output around the no-op layer reshape_after_Gemm_48: A's fc wrote FP32 (NCHW) itself (+0.007 ms)")


def _diff(a: str, b: str, fmt: str) -> str:
    out = CliRunner().invoke(cli, ["diff", f"{S}/{a}", f"{S}/{b}", "--no-lint", "--format", fmt])
    assert out.exit_code == 0, out.output
    return out.output


def _flat(text: str) -> str:
    """Text output with its wrapping undone (the summary wraps at 120 columns)."""
    return " ".join(text.split())


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_removed_output_copy_is_said_as_a_copy_not_a_no_op_moving_precision(fmt: str) -> None:
    out = _diff("fp16", "qat-residual-qgap", fmt)
    if fmt == "json":
        doc = json.loads(out)
        ev = next(e for e in doc["events"] if e["event"] == "reformat_removed")
        assert ev["text"] == REMOVED and ev["delta_ms"] == pytest.approx(-0.007168)
        assert ev["labels"] == ["reshape_after_Gemm_48"]       # its one group: the no-op with A's two copies
        qdq = next(c for c in doc["causes"] if c["cause"] == "qdq")
        assert REMOVED in qdq["effects"]             # the INT8 fc writes FP32: part of the Q/DQ placement change
        return
    flat = _flat(html.unescape(out) if fmt == "html" else out.replace("\\_", "_") if fmt == "markdown" else out)
    assert REMOVED in flat
    assert "no-op layer (A: reshape_after_Gemm_48" not in flat and "moved from FP16 to FP32, reading" not in flat


def test_mirror_says_the_copies_were_added() -> None:
    flat = _flat(_diff("qat-residual-qgap", "fp16", "text"))
    assert ADDED in flat and "moved from FP32 to FP16, reading" not in flat


def test_fp32_to_fp16_the_fp16_fc_needs_an_output_copy() -> None:
    """fp32's Gemm_48 writes FP32 (NHWC4; one layout-only copy to NCHW); fp16's needs the FP16 -> FP32 copy: said
    under "Layers run at another precision", not as "no-op layer (reshape_after_Gemm_48) moved from FP32 to FP16".
    Review (session 9, round 2): it said "B added the 2 reformat copies", but fp32 has `Reformatting CopyNode for
    Input Tensor 0 to reshape_after_Gemm_48` too (a NoOp, C%4 FP32 -> row major FP32; a_reformats 1,
    b_reformats 2): B added 1 copy, both have the layout-only one."""
    doc = json.loads(_diff("fp32", "fp16", "json"))
    ev = next(e for e in doc["events"] if e["event"] == "reformat_added")
    assert ev["text"] == ("B added 1 reformat copy (Output Tensor 0 of reshape_after_Gemm_48: FP16 (NCHW) -> FP32 "
                          "(NCHW) for the network output): A's Gemm_48 wrote FP32 (NHWC4) itself; both have the "
                          "layout-only copy (Input Tensor 0 of reshape_after_Gemm_48), a no-op layer (+0.007 ms)")
    back = json.loads(_diff("fp16", "fp32", "json"))
    gone = next(e for e in back["events"] if e["event"] == "reformat_removed")
    assert gone["text"].startswith("B removed 1 reformat copy (Output Tensor 0 of reshape_after_Gemm_48: FP16")
    assert "B's Gemm_48 writes FP32 (NHWC4) itself; both have the layout-only copy" in gone["text"]
    assert next(c for c in doc["causes"] if c["cause"] == "precision")["effects"].count(ev["text"]) == 1
    assert not any(e["text"].startswith("no-op layer") for e in doc["events"])
