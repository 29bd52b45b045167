"""trust-diff defects (a TensorRT engineer's review of diff / check): each test runs the command from the defect and
asserts what it says now.

1. ``check qat-residual qat`` failed layer2.0.downsample.0 (+33%, "precision_changed") although the fused Add+Relu
   only moved into it from layer2.0.conv2: the two are judged as one group (+7.5%), the reason says why.
2. ``diff qat qat-residual`` split one root cause (Q/DQ on the residual input) into fusion / Q/DQ placement / kernel
   choice; ``diff fp16 qat`` split the FP16 -> INT8 convolutions between two causes: one Q/DQ cause now, with the
   fusion and the format change as its consequences.
3. ``diff fp32 fp16`` said FP32 where A's kernels were TF32 Tensor Core kernels: the math is named from the kernel.
4. ``diff BIG BIG2``: quantize layers of B's extra blocks paired by order and type with quantize layers A's blocks
   lost ("1180 quantize layers moved FP16 -> FP32"): a small GENERATED pair with the same shape asserts the fix.
5. ``check``'s text/markdown note gave no reason for settings unknown on both sides (the JSON had one).

Real data: the A100 ResNet-18 sample bundles (sample_engines/PROVENANCE.md).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import trtinspect
from tests.conftest import RESNET, run_cli
from tests.test_diff_mirror import assert_mirrored
from trtinspect.inspector.diff import diff
from trtinspect.inspector.diff_math import TF32_LABEL, precision_label

FP32, FP16 = "sample:resnet18-a100/fp32", "sample:resnet18-a100/fp16"
QAT, QAT_RESIDUAL = "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual"


# ------------------------------------------------------------- 1. fused ops moved: one group, honest reason
@pytest.mark.parametrize("mirrored", [False, True])
def test_check_judges_groups_an_add_moved_between_as_one(mirrored: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """`check --baseline qat-residual --candidate qat`: the downsample convolution of each downsampling block gains
    the residual Add+Relu its conv2 loses. Each pair is one `repartitioned` group (+7.5% for layer2.0, within the
    threshold), never a +33% "precision_changed" regression; mirrored, the same groups."""
    base, cand = (QAT, QAT_RESIDUAL) if mirrored else (QAT_RESIDUAL, QAT)
    code, out, err = run_cli(["check", "--baseline", base, "--candidate", cand, "--json", "-"], capsys)
    assert code == (0 if mirrored else 1), err   # qat -> qat-residual is faster; the other way conv1 fails
    groups = {g["label"]: g for g in json.loads(out)["groups"]}
    assert "layer2.0.downsample.0" not in groups and "layer2.0.conv2" not in groups
    for block in ("layer2.0", "layer3.0", "layer4.0"):
        g = groups[f"{block}.conv2 + {block}.downsample.0"]
        assert g["kind"] == "repartitioned" and g["status"] == "ok"
        assert len(g["layers_a"]) == len(g["layers_b"]) == 2
        src, dst = (f"{block}.downsample.0", f"{block}.conv2") if mirrored else (f"{block}.conv2",
                                                                                 f"{block}.downsample.0")
        assert g["reason"].startswith(f"judged as one group: the fused Add and Relu moved from {src} (baseline) "
                                      f"into {dst} (candidate)")
    g = groups["layer2.0.conv2 + layer2.0.downsample.0"]
    assert round(g["delta_pct"], 1) == (-7.0 if mirrored else 7.5)
    assert "precision_changed" not in {x["kind"] for x in groups.values() if "downsample" in x["label"]}
    code, out, err = run_cli(["check", "--baseline", base, "--candidate", cand], capsys)
    assert "note: 3 merged group(s): neighbouring layers that fused ops moved between" in " ".join(out.split())
    assert "layer2.0.downsample.0\n" not in out and "regression       0.0123" not in out


def _mirrored(a: str, b: str) -> None:
    """diff B A tells diff A B's story mirrored (tests/test_diff_mirror.py's rule)."""
    ba, bb = trtinspect.load(a), trtinspect.load(b)
    assert_mirrored(diff(ba, bb, findings=False), diff(bb, ba, findings=False), f"{a} -> {b}")


# ----------------------------------------------------------------------- 2. one root cause, its consequences
def test_diff_qat_residual_is_one_qdq_cause_with_its_consequences(capsys: pytest.CaptureFixture[str]) -> None:
    """`diff qat qat-residual`: the max pooling fuses into conv1 once the standalone QuantizeLinear_15 after it is
    gone, and the input QuantizeLinear_2 writes another format for that fused conv1: consequences of the Q/DQ
    placement, one cause (-0.359 ms), never "Fusion changed" or "Kernel choice changed at the same precision"."""
    code, out, err = run_cli(["diff", QAT, QAT_RESIDUAL, "--format", "json", "--no-lint"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [c["cause"] for c in doc["causes"]] == ["qdq", "timing"]
    qdq = doc["causes"][0]
    assert qdq["title"] == "Q/DQ placement changed: 10 layers now write INT8 directly, so 8 standalone Q/DQ layers " \
                           "are gone" and round(qdq["delta_ms"], 3) == -0.359
    text = qdq["text"]
    assert ("B fused 1 max pooling into its convolution (A: Conv_9, MaxPool_12; B: Conv_9 + MaxPool_12), next to a "
            "standalone Q/DQ layer only one engine has (-0.261 ms)") in text
    assert ("quantize layer (QuantizeLinear_2) changed tensor formats or reformats, next to a layer the Q/DQ change "
            "altered (+0.034 ms)") in text
    assert "Fusion changed" not in doc["summary"] and "Kernel choice changed" not in doc["summary"]
    _mirrored(QAT, QAT_RESIDUAL)


def test_diff_fp16_qat_puts_every_int8_move_under_its_qdq_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    """`diff fp16 qat`: 8 FP16 -> INT8 convolutions were Q/DQ placement, 4 "another precision", by a rule the
    output never said. Every convolution of the QAT export holds its Q/DQ nodes fused in (fp16's none): one cause."""
    code, out, err = run_cli(["diff", FP16, QAT, "--format", "json", "--no-lint"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert [c["cause"] for c in doc["causes"]] == ["qdq"]
    moves = {e["what"]: e for e in doc["events"] if e["event"] == "precision" and e["b"] == "INT8"}
    # split by what the INT8 layers write (review of session 9): 8 write INT8, conv1 FP32, 11 still FP16
    assert set(moves) == {"8 convolutions", "convolution (A: Conv_0 + Relu_1; B: conv1)", "3 convolutions",
                          "8 convolutions with fused residual adds", "fully connected layer (Gemm) (A: Gemm_48; B: fc)"}
    assert all(e["next_to_changed_qdq"] for e in moves.values())
    assert "Layers run at another precision" not in doc["summary"]


# ------------------------------------------------------ 4. quantize layers of unrelated blocks are not paired
@pytest.fixture(scope="module")
def generated_blocks(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """GENERATED (benchmarks/generated_engine.py) from the real A100 qat and qat-residual bundles, 148 layers each:
    4 copies of qat (37 layers), 5.7 of qat-residual (26): B has extra blocks A lacks, as BIG2 has over BIG."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generated_engine import generate

    out = tmp_path_factory.mktemp("blocks")
    return (str(generate(out, 148, "qat", indent=None).folder),
            str(generate(out, 148, "qat-residual", indent=None).folder))


def test_diff_does_not_pair_quantize_layers_of_unrelated_blocks(generated_blocks: tuple[str, str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`diff A B` (BIG/BIG2 in small): A's removed quantize layers paired by order and type with the quantize layers
    of B's extra blocks ("3 quantize layers moved from FP16 to FP32"; BIG/BIG2: 1180). Now a standalone quantize
    pairs that way only where its neighbours are paired with each other; A's are removed (Q/DQ placement), B's come
    with the extra blocks (layers added); mirrored alike."""
    a, b = generated_blocks
    code, out, err = run_cli(["diff", a, b, "--format", "json", "--no-lint"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    texts = [e["text"] for e in doc["events"]]
    assert not any("quantize layers moved from FP16 to FP32 (" in t for t in texts)
    removed = next(e for e in doc["events"] if e["event"] == "removed" and "quantize" in e["what"])
    assert removed["count"] == 32                            # 8 standalone quantizes in each of A's 4 blocks
    extra = next(e for e in doc["events"] if e["event"] == "added" and e["what"] == "3 standalone quantize reformats")
    assert extra["qdq_with_layers"] and "among the added layers" in extra["text"]
    structure = next(c for c in doc["causes"] if c["cause"] == "structure")
    assert "B added 3 standalone quantize reformats among the added layers" in structure["text"]
    pairs = [g for g in doc["groups"] if g["method"] == "order-and-type" and g["a_ops"] == "QuantizeLinear"]
    assert all(g["a_precision"] == g["b_precision"] for g in pairs)
    _mirrored(a, b)


# ------------------------------------------------------------------------------------ 3. TF32 named honestly
def test_diff_fp32_fp16_names_tf32_tensor_core_math(capsys: pytest.CaptureFixture[str]) -> None:
    """`diff fp32 fp16`: A's convolutions ran ``sm80_xmma_..._tf32f32_...`` kernels (TF32 Tensor Core math), its
    first convolution ``ampere_scudnn_...`` (FP32 on CUDA cores). The events, the group table and the time by
    precision say so, and a note says how it is decided."""
    code, out, err = run_cli(["diff", FP32, FP16], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert f"11 convolutions moved from {TF32_LABEL} to FP16 (-0.406 ms)" in flat
    assert f"8 convolutions with fused residual adds moved from {TF32_LABEL} to FP16 (-0.300 ms)" in flat
    assert "convolution (Conv_0 + Relu_1) moved from FP32 to FP16 (-0.330 ms)" in flat   # scudnn: FP32 math
    assert "note: FP32 (TF32 Tensor Core math): an FP32 layer whose kernel name says TF32" in flat
    code, out, err = run_cli(["diff", FP32, FP16, "--format", "json"], capsys)
    doc = json.loads(out)
    by_precision = {r["key"]: r for r in doc["by_precision"]}
    assert by_precision[TF32_LABEL]["a_layers"] == 20 and by_precision["FP32"]["a_layers"] == 12
    texts = [e["text"] for e in doc["events"]]
    assert not any("moved from FP32 to FP16" in t and "convolutions" in t for t in texts)
    # the rule: FP32 only; every kernel of a multi-layer group must say TF32; no kernel name is FP32
    assert precision_label("FP32", "sm80_xmma_fprop_implicit_gemm_f32f32_tf32f32_f32_nhwckrsc") == TF32_LABEL
    assert precision_label("FP32", "ampere_s1688gemm_fp32_128x128") == TF32_LABEL
    assert precision_label("FP32", "ampere_scudnn_128x64_relu_xregs_large_nn_v1") == "FP32"
    assert precision_label("FP32", "x_tf32_a/ampere_sgemm_b") == "FP32"
    assert precision_label("FP32", None) == "FP32"
    assert precision_label("FP16", "sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16") == "FP16"


# ------------------------------------------------------------------- 5. settings unknown on both sides: why
def _bare(tmp_path: Path, variant: str) -> Path:
    """A real A100 bundle without its TREx metadata: exports of a run whose options are not there."""
    folder = tmp_path / variant
    folder.mkdir()
    for f in (RESNET / variant).iterdir():
        if not f.name.endswith((".profile.metadata.json", ".build.metadata.json")):
            shutil.copy(f, folder / f.name)
    return folder


def test_check_text_says_why_settings_unknown_on_both_sides_are_not_compared(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`check --baseline BARE-fp16 --candidate BARE-qat`: the note said "unknown for both sides: cuda_graph, ..."
    without a reason; text and markdown now give the JSON's."""
    base, cand = _bare(tmp_path, "fp16"), _bare(tmp_path, "qat")
    md = tmp_path / "check.md"
    code, out, err = run_cli(["check", "--baseline", str(base), "--candidate", str(cand), "--markdown", str(md)],
                             capsys)
    assert code in (0, 1), err
    why = "their files record no trtexec inference options or command line"
    for text in (out, md.read_text()):
        flat = " ".join(text.split())
        assert f"unknown for both sides ({why}): cuda_graph, spin_wait," in flat
    code, out, err = run_cli(["check", "--baseline", str(base), "--candidate", str(cand), "--json", "-"], capsys)
    doc = json.loads(out)
    assert {e["why"] for e in doc["settings_not_compared"]} == {
        "its files record no trtexec inference options or command line"}
