"""What a run was built and run with (parsers/run_facts.py), shown by `report` for every log era: build precision,
batch, input shapes, workspace, device index and DLA core, as the log's header says them (trust-misc review)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtinspect.cli import cli

ROOT = Path(__file__).parents[1]
EXT = ROOT / "tests" / "data" / "external"
H100 = ROOT / "sample_engines" / "trtexec-logs" / "trt10.16-h100"


def _report(path: Path, fmt: str = "json") -> str:
    result = CliRunner().invoke(cli, ["report", str(path), "--format", fmt, "--no-lint"])
    assert result.exit_code == 0, result.output
    return result.output


# (file, its header as printed) -> what the report must say: precision, batch, per-sample dims, workspace
PRE7 = [
    ("t4-resnet50_16_int8.txt", "FP32+INT8", 16, "data=3x224x224", 3.96139),
    ("v100-resnet50_64_fp16.txt", "FP32+FP16", 64, "data=3x224x224", 10.1428),
    ("p4-googlenet_bvlc_32_fp32.txt", "FP32", 32, "data=3x224x224", 27.7734),
]


@pytest.mark.parametrize(("name", "precision", "batch", "shapes", "mean"), PRE7, ids=[p[0] for p in PRE7])
def test_tensorrt5_log_keeps_precision_batch_and_inputs(name: str, precision: str, batch: int, shapes: str,
                                                        mean: float) -> None:
    """`trtinspect report tests/data/external/trt5-ai-matrix/t4-resnet50_16_int8.txt` said "Build precision -"
    and no batch although the log echoes `[I] batch: 16` and `[I] int8`; per-sample figures use that batch."""
    path = EXT / "trt5-ai-matrix" / name
    text = path.read_text()
    assert f"[I] batch: {batch}\n" in text and f"--batch={batch}" in text
    report = json.loads(_report(path))
    assert report["build_precision"] == precision
    t = report["timing"]
    assert (t["batch"], t["compute_ms"]["mean"]) == (batch, mean)
    assert t["compute_ms"]["per_sample_mean"] == pytest.approx(mean / batch, rel=1e-12)
    assert report["inputs"] == {"shapes": shapes, "source": f"per sample, implicit batch {batch}"}
    assert report["build"] == {"workspace": "16 MB", "max_batch": batch}   # trtexec 5's default workspace
    assert report["model"].endswith(".caffemodel")
    out = _report(path, "text")
    assert f"Build precision  {precision}\n" in out
    assert f"Timing per iteration of batch {batch} (ms)" in out and f"{mean / batch:.6g}" in out
    assert "implicit batch, max batch" in out and "workspace 16 MB" in out


def test_tensorrt7_headers_keep_workspace_batch_and_dla() -> None:
    """7.x option sections: `Workspace: 16 MB`, `Max batch: 1`, `Device: 0`, `DLACore: 0(With GPU fallback)`."""
    path = EXT / "quoted" / "xavier-nx-dla-trt7-header.issue1301.log"
    report = json.loads(_report(path))
    assert report["build_precision"] == "FP32+FP16"
    assert report["build"] == {"workspace": "16 MB", "max_batch": 1}
    assert (report["device"]["index"], report["device"]["dla_core"]) == ("0", "0(With GPU fallback)")
    assert report["model"] == "/home/jetson/tensorrt/data/googlenet/googlenet.prototxt"   # random weights
    out = _report(path, "text")
    assert "Device           unknown (CUDA device 0); DLA core 0 (with GPU fallback)" in out
    batch1 = json.loads(_report(EXT / "quoted" / "trt7-resnet50-int8-batch1.data-statistics.log"))
    assert (batch1["timing"]["batch"], batch1["build"]["max_batch"], batch1["build_precision"]) == (1, 1, "FP32+INT8")


def test_report_shows_the_input_shapes_of_every_run() -> None:
    """`cd sample_engines/trtexec-logs/trt10.16-h100; trtinspect report result-01.log` showed no input shape
    although line 156 says "Input binding for x with dimensions 1x1x28x28" (no --shapes: the options say 'model');
    result-03.log's --shapes value was shown only as the batch. Both now say the shapes (the ones check compares)."""
    one = json.loads(_report(H100 / "result-01.log"))
    assert one["inputs"] == {"shapes": "x=1x1x28x28",
                             "source": "bound by trtexec; options: 'model', no --shapes given"}
    assert (one["timing"]["batch"], one["timing"]["batch_source"]) == (
        1, "first dimension of the input binding 'x=1x1x28x28'")
    assert "Inputs           x=1x1x28x28 (bound by trtexec; options: 'model', no --shapes given)" in _report(
        H100 / "result-01.log", "text")
    three = json.loads(_report(H100 / "result-03.log"))
    assert three["inputs"] == {"shapes": "x=4x1x28x28", "source": "the run's input shapes option"}
    assert "- **Inputs:** x=4x1x28x28" in _report(H100 / "result-03.log", "markdown")
    two = json.loads(_report(H100 / "result-02.log"))          # the workspace as trtexec printed it (1 KiB:
    assert two["build"]["workspace"] == "0.000976562 MiB"      # --memPoolSize=workspace:1024MiB read as bytes)


def test_check_compares_the_shapes_report_shows() -> None:
    """One rule: check's input_shapes field is report's input shapes."""
    import trtinspect
    from trtinspect.inspector.check_inputs import COMPARABILITY
    from trtinspect.inspector.report import build_report

    for path in (H100 / "result-01.log", H100 / "result-03.log", EXT / "trt5-ai-matrix" / "t4-resnet50_16_int8.txt"):
        bundle = trtinspect.load(path)
        assert COMPARABILITY["input_shapes"](bundle) == build_report(bundle, lint=False)["inputs"]["shapes"]
