"""Lint defects of the TensorRT-engineer review of main at 19:50 UTC (issue 11 session), each run as the review ran
it, on the real files: A tiny-kernels claimed an assumed launch overhead as a saving out of per-layer GPU time;
B channel-alignment claimed a saving its advice cannot deliver; C layout reformats that only serve a CUDA-core
kernel were a separate saving; D an image-input FP32 convolution was a warning; E an output Dequantize and its
reformat were two findings with residual advice; F unstable-timing advice left out --useSpinWait; G names-only
reformats were "of one kind"; H a tensor name holding ':' lost the batch."""

from __future__ import annotations

import json
import math
from typing import Any

from conftest import DATA, LOGS, invoke

EXT = DATA / "external"


def _lint(*args: str) -> tuple[str, dict[str, Any]]:
    code, text = invoke("lint", *args)
    assert code == 0, text
    code, out = invoke("lint", *args, "--format", "json")
    assert code == 0, out
    doc: dict[str, Any] = json.loads(out)
    return text, doc


def _only(doc: dict[str, Any], rule: str) -> dict[str, Any]:
    (f,) = [f for f in doc["findings"] if f["rule_id"] == rule]
    return f


def test_a_tiny_kernels_claim_no_saving_out_of_gpu_time() -> None:
    """A: `--dumpProfile` times are each kernel's GPU time; launch overhead is host time, not in them, so the
    11 x 2 us "saving" (25% of per-layer time, counted in the headline total) is gone: not estimated."""
    text, doc = _lint(str(LOGS / "trt10.16-h100" / "result-05.log"))
    tiny = _only(doc, "tiny-kernels")
    assert tiny["cost_kind"] == "not estimated" and tiny["cost_ms"] is None and not tiny["cost_by_layer"]
    assert "GPU time" in tiny["cost_method"] and "not a per-layer saving" in tiny["cost_method"]
    assert "--useCudaGraph" in tiny["mitigation"]   # the run had CUDA graphs off (log line 28)
    ev = tiny["evidence"]
    assert ev["gpu_busy_share"] is None and ev["host_launch_ms_assumed"] == ev["count"] * 0.002
    assert "Total Host Walltime" in tiny["cause"]   # what would show launch-boundness, and that it is absent
    assert "saves ~" not in text.split("tiny-kernels", 1)[1].split("\n\n", 1)[0]
    # the headline total is the reformat alone now (0.0244 ms before, with the tiny kernels' 0.0208 ms)
    reformat = _only(doc, "reformat-copy")
    assert math.isclose(doc["estimated_saving_ms"], reformat["cost_ms"], rel_tol=1e-9)
    assert "estimated saving if all were fixed: 0.0056 ms" in text


def test_b_channel_alignment_is_an_upper_bound_not_a_saving() -> None:
    """B: raising K=16 to 32 turns the padding into real work and keeping it still pads: the layers' own time,
    an upper bound (as no-tensor-cores), out of the "if all were fixed" total."""
    text, doc = _lint(str(EXT / "trex-titanrtx-mobilenet" / "qat"))
    ca = _only(doc, "channel-alignment")
    assert ca["cost_kind"] == "layer time" and "not a saving" in ca["cost_method"]
    assert "[saves ~" not in text.split("channel-alignment", 1)[1].split("\n\n", 1)[0]
    assert "round channel counts down" in ca["mitigation"]
    assert {m["evidence"]["padding_waste"] for m in ca["evidence"]["members"]} >= {0.5, 0.25}
    savings = [f for f in doc["findings"] if f["cost_kind"] == "estimated saving"]
    assert "channel-alignment" not in {f["rule_id"] for f in savings}
    # 0.1016 ms before: the padding's 0.0184 ms, less what residual-not-quantized charged the same layers
    assert round(doc["estimated_saving_ms"], 4) == 0.0837


def test_c_layout_reformats_of_a_cuda_core_kernel_go_with_it() -> None:
    """C: RTX 3090 FP32 ResNet-50: 12 of the 13 reformats are the NHWC <-> NCHW pairs around the
    conv4_block{1..6}_2 winograd SIMT kernels: tied to the no-tensor-cores finding (layer time), not a saving."""
    raw = json.loads(next((EXT / "trex-rtx3090-resnet50" / "fp32").glob("*.graph.json")).read_text())["Layers"]
    winograd = {x["Name"] for x in raw if "winograd" in str(x.get("TacticName", ""))}
    assert len(winograd) == 6 and all("conv4_block" in n and "_2_conv" in n for n in winograd)
    text, doc = _lint(str(EXT / "trex-rtx3090-resnet50" / "fp32"))
    ntc = [f for f in doc["findings"] if f["rule_id"] == "no-tensor-cores" and f["severity"] == "warning"]
    (group,) = ntc
    tied = [m for m in group["evidence"]["members"] if m["evidence"].get("tied_reformats")]
    assert {m["layers"][0] for m in tied} == winograd
    assert all(len(m["evidence"]["tied_reformats"]) == 2 for m in tied)
    absorbed = [a for a in group["evidence"]["absorbed"] if a["rule_id"] == "reformat-copy"]
    assert len(absorbed) == 12 and group["cost_kind"] == "layer time"
    assert "no saving of their own" in group["cause"]
    (left,) = [f for f in doc["findings"] if f["rule_id"] == "reformat-copy"]   # MaxPool -> NHWC, kept
    assert left["layer_names"] == ["Reformatting CopyNode for Output Tensor 0 to resnet50/pool1_pool/MaxPool"]
    assert "13 reformat copies" not in text and "replaces 12 reformat-copy finding(s)" in text


def test_d_image_input_fp32_convolution_is_info() -> None:
    """D: A100 FP32 `Conv_0 + Relu_1` (C=3) was "[warning] 1 FP32 convolution(s) on CUDA cores" though the rule
    says info for an image-input layer; the qat engine's same layer was info."""
    text, doc = _lint("sample:resnet18-a100/fp32")
    ntc = _only(doc, "no-tensor-cores")
    assert ntc["severity"] == "info" and ntc["layer_names"] == ["Conv_0 + Relu_1"]
    assert ntc["cause"].startswith("image-input layer (C=3)") and "built for FP32 only" in ntc["cause"]
    assert "[info] no-tensor-cores" in text and "[warning] no-tensor-cores" not in text


def test_e_output_dequantize_and_its_reformat_are_one_finding() -> None:
    """E: fx-QDQ: the 3 reformats before `(Unnamed Layer* 741/760/779) [Quantize]_output_.dequant` and those
    Dequantize layers (the detection-head outputs) were two findings with residual/pooling advice."""
    text, doc = _lint(str(LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.profile.log"))
    assert not [f for f in doc["findings"] if f["rule_id"] == "reformat-copy"]
    qdq = _only(doc, "qdq-standalone")
    assert qdq["title"] == "3 standalone Dequantize layers at network outputs (with their reformats)"
    assert len(qdq["layer_names"]) == 6 and sum("Reformatting CopyNode" in n for n in qdq["layer_names"]) == 3
    assert qdq["cost_kind"] == "layer time" and "upper bound" in qdq["cost_method"]
    assert "residual" not in qdq["mitigation"] and "--outputIOFormats" in qdq["mitigation"]
    assert len([a for a in qdq["evidence"]["absorbed"] if a["rule_id"] == "reformat-copy"]) == 3
    assert "replaces 3 reformat-copy finding(s)" in text


def test_f_unstable_timing_advises_spin_wait_when_it_was_off() -> None:
    """F: `result-02.log` line 26 says "Spin-wait: Disabled": unstable-timing's advice names --useSpinWait (as
    trtexec's own warning does); a run that spin-waited (TITAN RTX qat-residuals) is not told to."""
    assert "Spin-wait: Disabled" in (EXT / "trt10.16.0-rtx6000ada-nsys" / "result-02.log").read_text().splitlines()[25]
    _, doc = _lint(str(EXT / "trt10.16.0-rtx6000ada-nsys" / "result-02.log"))
    assert "--useSpinWait" in _only(doc, "unstable-timing")["mitigation"]
    _, doc = _lint(str(EXT / "trex-titanrtx-mobilenet" / "qat-residuals"))
    assert "--useSpinWait" not in _only(doc, "unstable-timing")["mitigation"]


def test_g_names_only_reformats_are_not_said_to_be_one_kind() -> None:
    """G: Xavier NX LPRNet: two reformats whose formats are not recorded were "2 reformat copies of one kind"."""
    text, doc = _lint(str(EXT / "xavier-nx-trt8.5.2-lprnet"))
    assert _only(doc, "reformat-copy")["title"] == "2 reformat copies (formats unknown)"
    assert "of one kind" not in text


def test_h_a_tensor_name_with_a_colon_keeps_the_batch() -> None:
    """H: `Input inference shape: x:0=4x1x28x28` (tf2onnx names end in ':0'): the batch is 4, per-sample figures
    follow; the shape spec is split at the last '=' (a name may hold ':')."""
    code, text = invoke("report", str(EXT / "trt8.2-gtx1070"))
    assert code == 0, text
    assert "throughput 6199.99 qps (iterations/s); batch 4" in " ".join(text.split())
    code, out = invoke("report", str(EXT / "trt8.2-gtx1070"), "--format", "json")
    assert json.loads(out)["timing"]["batch"] == 4


def test_h_shape_specs_split_at_the_last_separator() -> None:
    from trtinspect.parsers.timing import _first_dimension

    assert _first_dimension("x:0=4x1x28x28") == 4
    assert _first_dimension("x:0:4x1x28x28") == 4     # trtexec's --shapes form, split at the last ':'
    assert _first_dimension("a=2x3,b:0=2x5") == 2
    assert _first_dimension("a=2x3,b=3x5") is None
    assert _first_dimension("=4x3") is None and _first_dimension("4x3") is None
