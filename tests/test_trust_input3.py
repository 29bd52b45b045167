"""Input defects of new-user trial 9 (fix-input3): each failing command, now right. Real files only
(sample_engines, tests/data); folders mixing them are made at test time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, LOGS, RESNET, run_cli

QAT, RES = "sample:resnet18-a100/qat", "sample:resnet18-a100/qat-residual"


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    return err


def _folder(tmp_path: Path, variant: str, *logs: Path) -> Path:
    folder = tmp_path / "m"
    shutil.copytree(RESNET / variant, folder)
    for log in logs:
        shutil.copy(log, folder)
    return folder


# ---- 1. a trtexec log of another engine in a bundle folder: refused, naming the log and what differs --------
@pytest.mark.parametrize("command", ["report", "lint", "diff"])
def test_other_engines_log_in_a_bundle_folder_is_refused(command: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An H100 MNIST log in the A100 ResNet-18 qat folder was merged: report said TensorRT 10.16.1 and 15374.3 qps
    (the engine's own run: 1130.01 qps), lint added the MNIST run's unstable-timing, exit 0."""
    folder = _folder(tmp_path, "qat", LOGS / "trt10.16-h100" / "result-01.log")
    args = [command, str(folder)] + ([QAT] if command == "diff" else [])
    err = one_line_error(*run_cli(args, capsys))
    assert "result-01.log: this trtexec log is not of the engine of resnet-qat.onnx.engine" in err
    assert "GPU (NVIDIA H100 PCIe vs NVIDIA A100 80GB PCIe)" in err
    assert "model (model-trained.onnx vs resnet-qat.onnx)" in err
    assert "inputs (log: x; the layer information's tensors: input.1" in err


def test_other_engines_profile_log_is_refused_on_layer_names(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A log that prints only a --dumpProfile table (no GPU, model or inputs): its layer names decide."""
    folder = _folder(tmp_path, "qat", LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.profile.log")
    err = one_line_error(*run_cli(["report", str(folder)], capsys))
    assert "fx-qdq-int8.profile.log" in err and "layer names (its --dumpProfile table vs the layer information: " \
        "0 of 28 names match" in err


def test_other_engines_log_named_with_exported_files_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    qat = RESNET / "qat"
    err = one_line_error(*run_cli(["report", str(qat / "resnet-qat.onnx.engine.graph.json"),
                                   str(qat / "resnet-qat.onnx.engine.profile.json"),
                                   str(LOGS / "trt10.16-h100" / "result-05.log")], capsys))
    assert "result-05.log: this trtexec log is not of the engine" in err and "layer names" in err


def test_a_log_with_too_few_facts_is_merged_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A summary excerpt prints no GPU, model, inputs or layer names: nothing to judge it by; it is merged and
    the report says so."""
    folder = _folder(tmp_path, "qat", LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.after-fix.summary.log")
    code, out, err = run_cli(["report", str(folder), "--format", "json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any(n.startswith("fx-qdq-int8.after-fix.summary.log: merged with resnet-qat.onnx.engine")
               and "without knowing it is this engine's run: it prints none of their facts" in n for n in notes)


def test_the_engines_own_logs_are_merged_without_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The RTX 3060 Laptop AlexNet exports with the same project's --dumpProfile log: its layer names match, so
    it is judged this engine's (no note); the device-only head slice is merged with a note."""
    folder = tmp_path / "alexnet"
    shutil.copytree(DATA / "external" / "trex-rtx3060laptop-alexnet", folder)
    shutil.copy(DATA / "external" / "trt10.4-rtx3060laptop-profile" / "profile.log", folder)
    shutil.copy(DATA / "external" / "trt10.4-rtx3060laptop" / "device.head.log", folder)
    code, out, err = run_cli(["report", str(folder), "--format", "json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert not any(n.startswith("profile.log: merged with") for n in notes)
    assert any(n.startswith("device.head.log: merged with") and "only its GPU could be compared" in n
               for n in notes)


def test_check_refuses_the_folder_by_the_same_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, "qat", LOGS / "trt10.16-h100" / "result-01.log")
    err = one_line_error(*run_cli(["check", "--baseline", str(folder), "--candidate", RES], capsys))
    assert "result-01.log: this trtexec log is not of the engine" in err
