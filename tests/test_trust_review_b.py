"""Defects of the TensorRT-engineer review of 17:00 UTC (issue 11 session), each run as the review ran it on the
real file: reformats of a TensorRT 8.x verbose log read from the data types it prints (review 4), advice that fits
an unfused deconvolution + ReLU (review 5), the pre-7.0 argument-echo note quoting the log's own lines (review
7a), how an nsys bundle's Enqueue row is computed (review 7b), and whose unstable-timing threshold lint states
(review, unverified claim checked against trtexec's sources). The nsys kernel table (review 3) is tested in
tests/test_nsys_text.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, LOGS, run_cli

from trtinspect.inspector.rules_timing import _threshold_label, cv_threshold

TRT84_FP16 = LOGS / "trt8.4" / "result-FP16.log"     # TensorRT 8.4.1, GTX 1070, verbose build (sample_engines)
FX_QDQ = LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.profile.log"
AI_MATRIX = DATA / "external" / "trt5-ai-matrix"


def _json(cmd: str, path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, err = run_cli([cmd, str(path), "--format", "json", *extra], capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_trt8_verbose_reformats_are_layout_conversions(capsys: pytest.CaptureFixture[str]) -> None:
    """Review 4: `lint result-FP16.log` called the two reformats 'formats unknown ... names only' though the log
    (line 1146) prints `tensor-3[Float(-2,32,14,14)] -> ...[Float(-2,32,14,14)]` and report says 12 (detailed)
    layers. Float -> Float: the data type is kept, so the reformat converts the layout."""
    code, text, _ = run_cli(["lint", str(TRT84_FP16)], capsys)
    assert code == 0
    assert "2 reformat copies of one kind (layout, FP32 -> FP32)" in text
    assert "names only" not in text and "names-only" not in text and "formats unknown" not in text
    findings = _json("lint", TRT84_FP16, capsys)["findings"]
    (reformat,) = [f for f in findings if f["rule_id"] == "reformat-copy"]
    members = reformat["evidence"]["members"]
    assert [m["evidence"]["conversion"] for m in members] == ["layout", "layout"]
    first = members[0]
    assert first["evidence"]["input"] == "FP32/?" and first["evidence"]["output"] == "FP32/?"
    assert first["cause"].startswith("keeps FP32 -> FP32, so it converts the layout (the layer information prints "
                                     "each tensor's data type and shape, not its layout): the two kernels' layouts "
                                     "differ: 'MaxPool-3' (a TiledPooling kernel, tactic not named) writes one")
    assert "None" not in json.dumps(reformat)
    assert _json("report", TRT84_FP16, capsys)["layers"]["detailed"] is True


def test_deconvolution_relu_advice_fits_the_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    """Review 5: 'conv_transpose2d_3..5 -> PWN(relu_104..106)' was told to quantize both inputs of the residual
    Add, though these groups have no Add. The advice is now about the Q/DQ between the deconvolution and its ReLU
    and what is known of TensorRT's fused INT8 deconvolution + activation (this profile-only log has no version);
    the add + relu group keeps the residual-Add advice."""
    findings = _json("lint", FX_QDQ, capsys)["findings"]
    groups = {f["title"]: f for f in findings if f["rule_id"] == "unfused-conv-epilogue"}
    deconv = groups["3 unfused activation layers after convtransposes: Q/DQ boundary between the convolution and "
                    "its activation"]
    advice = deconv["mitigation"]
    assert "Add" not in advice and "residual" not in advice and "skip branch" not in advice
    assert advice.startswith("In the exported graph, look for a QuantizeLinear/DequantizeLinear pair between each "
                             "deconvolution (ConvTranspose) and its activation and move it after the activation")
    assert "NVIDIA/TensorRT issue 3412" in advice and "issue 1699" in advice
    assert "Whether this run's TensorRT (version not recorded) has such a kernel" in advice
    residual = groups["2 unfused add + activation layers after convs: residual branch of the add not quantized "
                      "(Q/DQ network)"]
    assert "quantize both inputs of the residual Add" in residual["mitigation"]


@pytest.mark.parametrize(("name", "quoted"), [
    ("v100-resnet50_64_fp16.txt", "(`batch: 64`, `fp16`)"),
    ("t4-resnet50_16_int8.txt", "(`batch: 16`, `int8`)"),
    ("p4-googlenet_bvlc_32_fp32.txt", "(`batch: 32`, `output: prob`)"),
])
def test_argument_echo_note_quotes_the_log(name: str, quoted: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Review 7a: the note quoted `batch: 16`, `int8` (the T4 log's lines) for every pre-7.0 log; the V100 log
    says `[I] batch: 64` and `[I] fp16`."""
    path = AI_MATRIX / name
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in quoted.strip("()").split(", "):
        assert f"[I] {line.strip('`')}" in lines
    notes = _json("report", path, capsys)["notes"]
    (note,) = [n for n in notes if "echoes its arguments one per line" in n]
    assert f"one per line {quoted}; read as" in note


def test_nsys_enqueue_row_says_how_it_is_computed(nsys_generated: tuple[Path, dict[str, Any]],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Review 7b: the notes of an nsys bundle said how GPU compute and H2D/D2H are cut from the export but not
    the Enqueue row: it is each ExecutionContext::enqueueV3 NVTX range's own duration (GENERATED export)."""
    path, _truth = nsys_generated
    doc = _json("report", path, capsys)
    (note,) = [n for n in doc["notes"] if "one iteration per TensorRT" in n]
    assert "one iteration per TensorRT ExecutionContext::enqueueV3 range" in note
    assert ("Enqueue the range's own duration (its NVTX push to pop on the launching CPU thread: the host's time "
            "inside the enqueue call") in note
    assert doc["timing"]["enqueue_ms"]["mean"] is not None


def test_unstable_timing_threshold_is_the_versions_or_the_tools(capsys: pytest.CaptureFixture[str]) -> None:
    """Review (unverified): lint labelled 2.5% 'trtexec's rule' on a bundle with no TensorRT version. trtexec's
    kUNSTABLE_PERF_REPORTING_THRESHOLD in NVIDIA/TensorRT's OSS tags: none in 8.0.1/8.2.1, 1.0 from 8.4.1 to
    10.13.0, 2.5 from 10.13.2 to 11.1. A version's own threshold is labelled as that trtexec's; otherwise the tool
    says the threshold is its own."""
    assert cv_threshold("8.4.1")[::2] == (1.0, True) and cv_threshold("10.13.0")[::2] == (1.0, True)
    assert cv_threshold("10.13.2")[::2] == (2.5, True) and cv_threshold("11.1.0")[::2] == (2.5, True)
    assert cv_threshold("8.2.1")[::2] == (None, True)
    for unknown in (None, "8.3.1", "10.13.1"):
        assert cv_threshold(unknown)[::2] == (2.5, False)
    assert "11.1's threshold" in cv_threshold("11.4.0")[1]
    assert _threshold_label("8.6.1", 1.0, True) == "trtexec 8.6.1's rule: > 1%"
    assert _threshold_label("10.13.1", 2.5, False) == "> 2.5%, the tool's threshold: trtexec 10.13.1's is not published"
    findings = _json("lint", DATA / "external" / "trex-titanrtx-mobilenet" / "qat-residuals", capsys,
                     "--rules", "unstable-timing")["findings"]
    (engine_wide,) = [f for f in findings if not f["layer_names"]]
    assert engine_wide["title"] == ("GPU compute time is unstable, with coefficient of variance = 11.1877% (> 2.5%, "
                                    "the tool's threshold: TensorRT version unknown)")
