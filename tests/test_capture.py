"""`trtinspect capture` against tests/fake_trtexec/trtexec, a FAKE trtexec (no GPU, no TensorRT).

The fake replays real trtexec logs (sample_engines/trtexec-logs) and copies the real ResNet-18 A100 JSON
exports, so these tests check capture's own logic: the flags it passes, run layout, manifest, error paths,
and that every run directory loads as a bundle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, resnet_file

import trtinspect
from trtinspect.capture import trtexec as cap
from trtinspect.cli import cli
from trtinspect.errors import TrtInspectError

FAKE_DIR = REPO / "tests" / "fake_trtexec"


@pytest.fixture
def fake_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Put the fake trtexec first on PATH; returns the file its argv lines are logged to."""
    monkeypatch.setenv("PATH", f"{FAKE_DIR}{os.pathsep}{os.environ.get('PATH', '')}")
    argv_log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_TRTEXEC_ARGV_LOG", str(argv_log))
    for var in ("FAKE_TRTEXEC_FAIL", "FAKE_TRTEXEC_SKIP", "FAKE_TRTEXEC_LOG", "FAKE_TRTEXEC_VARIANT"):
        monkeypatch.delenv(var, raising=False)
    return argv_log


@pytest.fixture
def onnx_model(tmp_path: Path) -> Path:
    p = tmp_path / "models" / "resnet.onnx"
    p.parent.mkdir()
    p.write_bytes(b"\x08\x07placeholder onnx bytes (the fake trtexec does not read them)")
    return p


def argv_lines(path: Path) -> list[list[str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_capture_onnx_builds_once_then_loads(fake_path: Path, onnx_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "cap"
    result = cap.capture(cap.CaptureOptions(model=onnx_model, out=out, runs=3, shapes="input.1:32x3x224x224"))
    calls = argv_lines(fake_path)
    assert len(calls) == 3
    engine = out / "resnet.onnx.engine"
    assert f"--onnx={onnx_model}" in calls[0] and f"--saveEngine={engine}" in calls[0]
    for k, argv in enumerate(calls, start=1):
        assert set(cap.PROFILING_FLAGS) <= set(argv)
        assert "--shapes=input.1:32x3x224x224" in argv
        assert "--useCudaGraph" not in argv
        run_dir = out / f"run-{k}"
        assert f"--exportLayerInfo={run_dir / 'resnet.onnx.engine.graph.json'}" in argv
        assert f"--exportProfile={run_dir / 'resnet.onnx.engine.profile.json'}" in argv
        assert f"--exportTimes={run_dir / 'resnet.onnx.engine.timing.json'}" in argv
        if k > 1:
            assert f"--loadEngine={engine}" in argv and not any(a.startswith("--onnx") for a in argv)
    assert engine.is_file()
    assert result.trt_version == "10.16.1"  # from the replayed real TensorRT 10.16 log
    manifest = json.loads((out / "capture.json").read_text())
    assert [r["returncode"] for r in manifest["runs"]] == [0, 0, 0]
    assert manifest["runs"][0]["command"][1:] == calls[0]
    assert manifest["tensorrt_version"] == "10.16.1" and manifest["model_kind"] == "onnx"
    for k in (1, 2, 3):
        assert (out / f"run-{k}" / "trtexec.log").read_text().startswith("&&&& RUNNING TensorRT.trtexec")


def test_capture_runs_load_as_bundles(fake_path: Path, onnx_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "cap"
    cap.capture(cap.CaptureOptions(model=onnx_model, out=out, runs=2))
    graph = json.loads(resnet_file("fp16", "graph.json").read_text())
    profile = json.loads(resnet_file("fp16", "profile.json").read_text())
    timing = json.loads(resnet_file("fp16", "timing.json").read_text())
    for k in (1, 2):
        bundle = trtinspect.load(out / f"run-{k}")
        assert len(bundle.layers) == len(graph["Layers"])
        assert len(bundle.profile) == len(profile) - 1
        assert len(bundle.times) == len(timing)
        assert bundle.times["compute_ms"].iloc[0] == pytest.approx(timing[0]["computeMs"])


def test_capture_engine_with_cuda_graph_and_extra_args(fake_path: Path, tmp_path: Path) -> None:
    engine = tmp_path / "model.plan"
    engine.write_bytes(b"\x00plan")
    plugin = tmp_path / "libp.so"
    plugin.write_bytes(b"\x7fELF")
    res = cap.capture(
        cap.CaptureOptions(
            model=engine,
            out=tmp_path / "o",
            runs=2,
            cuda_graph=True,
            plugins=(plugin,),
            extra_args=("--fp16",),
        )
    )
    for argv in argv_lines(fake_path):
        assert f"--loadEngine={engine}" in argv and "--useCudaGraph" in argv
        assert f"--plugins={plugin}" in argv and argv[-1] == "--fp16"
        assert not any(a.startswith(("--saveEngine", "--onnx")) for a in argv)
    assert res.name == "model" and (tmp_path / "o" / "run-2" / "model.engine.graph.json").is_file()
    assert res.trt_version == "10.16.1"


def test_capture_without_trtexec_prints_the_command(
    monkeypatch: pytest.MonkeyPatch, onnx_model: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(TrtInspectError) as info:
        cap.capture(cap.CaptureOptions(model=onnx_model, out=tmp_path / "o"))
    msg = str(info.value)
    assert "trtexec was not found on PATH" in msg
    assert f"trtexec --onnx={onnx_model}" in msg and "--profilingVerbosity=detailed" in msg
    assert not (tmp_path / "o").exists()


def test_capture_failure_keeps_log_and_manifest(
    fake_path: Path, onnx_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TRTEXEC_FAIL", "1")
    out = tmp_path / "o"
    with pytest.raises(TrtInspectError, match=r"run 1 failed with exit code 1: .*fake failure requested"):
        cap.capture(cap.CaptureOptions(model=onnx_model, out=out, runs=2))
    manifest = json.loads((out / "capture.json").read_text())
    assert [r["returncode"] for r in manifest["runs"]] == [1]
    assert "FAKE_TRTEXEC_FAIL" in (out / "run-1" / "trtexec.log").read_text()


def test_capture_missing_export_is_an_error(
    fake_path: Path, onnx_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_TRTEXEC_SKIP", "timing")
    with pytest.raises(TrtInspectError, match=r"did not write resnet.onnx.engine.timing.json"):
        cap.capture(cap.CaptureOptions(model=onnx_model, out=tmp_path / "o", runs=1))


def test_capture_refuses_existing_capture_and_bad_input(
    fake_path: Path, onnx_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    cap.capture(cap.CaptureOptions(model=onnx_model, out=out, runs=1))
    with pytest.raises(TrtInspectError, match="already holds a capture"):
        cap.capture(cap.CaptureOptions(model=onnx_model, out=out, runs=1))
    weird = tmp_path / "model.bin"
    weird.write_bytes(b"x")
    with pytest.raises(TrtInspectError, match="ONNX model or a TensorRT engine"):
        cap.capture(cap.CaptureOptions(model=weird, out=tmp_path / "p"))
    with pytest.raises(TrtInspectError, match="no such file"):
        cap.capture(cap.CaptureOptions(model=tmp_path / "missing.onnx", out=tmp_path / "q"))
    with pytest.raises(TrtInspectError, match="--runs"):
        cap.capture(cap.CaptureOptions(model=onnx_model, out=tmp_path / "r", runs=0))


def test_cli_capture_with_explicit_trtexec_and_passthrough(
    fake_path: Path, onnx_model: Path, tmp_path: Path
) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "capture",
            str(onnx_model),
            "--out",
            str(tmp_path / "o"),
            "--runs",
            "1",
            "--trtexec",
            str(FAKE_DIR / "trtexec"),
            "--",
            "--fp16",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "captured 1 run(s) of resnet.onnx" in res.output and "TensorRT 10.16.1" in res.output
    assert argv_lines(fake_path)[0][-1] == "--fp16"


def test_cli_capture_dry_run(onnx_model: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "capture",
            str(onnx_model),
            "--out",
            str(tmp_path / "o"),
            "--runs",
            "2",
            "--cuda-graph",
            "--dry-run",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and "--saveEngine=" in lines[0] and "--loadEngine=" in lines[1]
    assert all("--useCudaGraph" in ln for ln in lines)
    assert not (tmp_path / "o").exists()


def test_cli_capture_without_trtexec_exits_2(onnx_model: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    proc = subprocess.run(
        [sys.executable, "-m", "trtinspect", "capture", str(onnx_model), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "trtexec was not found on PATH" in err and "--exportLayerInfo=" in err


@pytest.mark.parametrize("extra", [["--runs", "0"], ["--runs", "-2"]])
def test_cli_capture_rejects_runs_below_1(onnx_model: Path, tmp_path: Path, extra: list[str]) -> None:
    res = CliRunner().invoke(cli, ["capture", str(onnx_model), "--out", str(tmp_path / "o"), "--dry-run", *extra])
    assert res.exit_code == 2 and "--runs" in res.output and "x>=1" in res.output


def _trtinspect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trtinspect", *args], capture_output=True, text=True, timeout=60)


def test_cli_capture_dry_run_missing_model_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "model.onnx"
    proc = _trtinspect("capture", str(missing), "--out", str(tmp_path / "o"), "--dry-run")
    assert proc.returncode == 2 and not proc.stdout and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such file" in lines[0] and str(missing) in lines[0]


def test_cli_profile_missing_engine_says_no_such_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "model.engine"
    proc = _trtinspect("profile", str(missing), "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "TensorRT" not in proc.stderr
    proc = _trtinspect("profile", str(tmp_path), "--out", str(tmp_path / "p"))
    assert proc.returncode == 2 and "is a directory" in proc.stderr
