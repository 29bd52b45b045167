"""Defects of the fourth new-user trial of main (17:15 UTC), one test each, running the failing command of the
defect on the bundled real samples: a document on standard output is alone there, a full standard output is one
line and exit 2, names and file names are escaped in every line, size limits in bytes, `profile` checks the
input kind first, history's columns carry units, diff's residual at the shown precision.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import RESNET, run_cli

QAT, RES = str(RESNET / "qat"), str(RESNET / "qat-residual")
CHECK = ["check", "--baseline", QAT, "--candidate", RES]


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    return err


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real history store: qat -> qat-residual, then qat-residual -> qat (an `improvement` group status)."""
    path = tmp_path_factory.mktemp("hist4") / "h.sqlite"
    from trtinspect.cli import main

    for base, cand in ((QAT, RES), (RES, QAT)):
        with pytest.raises(SystemExit) as exc:
            main(["check", "--baseline", base, "--candidate", cand, "--record", str(path)])
        assert exc.value.code in (0, 1)     # the second is a regression (qat is the slower engine)
    return path


# ------------------------------------------------------------------- 3. --FORMAT - is alone on standard output
@pytest.mark.parametrize("fmt", ["json", "markdown", "junit", "bencher", "benchmark-json"])
def test_a_format_on_stdout_is_the_only_thing_there(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([*CHECK, f"--{fmt}", "-"], capsys)
    assert code == 0
    assert not out.startswith("PASS") and "\nbaseline  resnet-qat.onnx" not in out, out[:300]
    if fmt == "junit":
        assert ET.fromstring(out).tag == "testsuites"
    elif fmt == "markdown":
        assert out.startswith("### ") and "trtinspect check: PASS" in out
    else:
        json.loads(out)     # `--bencher - > b.out` is one JSON document


# ---------------------------------------------------------------- 5. a failed write to standard output
class _FullStdout(io.StringIO):
    """Standard output on a full disk (``> /dev/full``)."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("args", [
    ["report", QAT], ["lint", QAT], ["lint", QAT, "--format", "sarif"], ["diff", QAT, RES], CHECK,
    [*CHECK, "--json", "-"], ["samples"], ["lint", "--list-rules"], ["history", "STORE"],
], ids=["report", "lint", "sarif", "diff", "check", "check-json", "samples", "list-rules", "history"])
def test_full_stdout_is_one_line_and_exit_2(args: list[str], store: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(store) if a == "STORE" else a for a in args]
    monkeypatch.setattr(sys, "stdout", _FullStdout())
    err = one_line_error(*run_cli(args, capsys))
    assert err == "trtinspect: error: cannot write to standard output: No space left on device. Free space where " \
                  "standard output goes, or send it elsewhere.\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_report_to_dev_full_as_a_process() -> None:
    """The console process itself (its final flush too): `trtinspect report sample:... > /dev/full`."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "trtinspect", "report", "sample:resnet18-a100/qat"],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("trtinspect: error: cannot write to standard output: No space left on device")
    assert len(proc.stderr.splitlines()) == 1


# ------------------------------------------------------------------------------- 6. history --layer NAME
def test_history_unknown_layer_is_escaped_and_lists_recorded_names(store: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["history", str(store), "--layer", "x\n::error title=pwn::owned"], capsys)
    assert code == 0 and err == ""
    assert not any(line.startswith("::") for line in out.splitlines())
    assert out.splitlines()[0] == "no recorded measurements of 'x\\x0a::error title=pwn::owned'"
    listed = [line.strip().strip("'") for line in out.splitlines()[2:]]
    assert len(listed) == 5 and "conv1" in listed
    code, out, _ = run_cli(["history", str(store), "--layer", listed[0]], capsys)   # a listed name has a trend
    assert code == 0 and "no recorded measurements" not in out


def test_history_columns_have_units_and_the_trend_is_aligned(store: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["history", str(store)], capsys)
    assert code == 0 and out.splitlines()[0].split()[4:8] == ["base", "ms", "cand", "ms"]
    code, out, _ = run_cli(["history", str(store), "--layer", "layer4.1.conv2"], capsys)
    lines = out.splitlines()
    header = lines[1]
    at = header.index("engine")
    rows = [line for line in lines[2:] if line.strip()]
    assert any("improvement" in line for line in rows)
    for line in rows:               # every row's engine name starts under the header's "engine"
        assert line[at - 2:at] == "  " and line[at] != " ", (header, line)


# ------------------------------------------------------------------------------- 7. file names in confirmations
def test_diff_confirmation_escapes_the_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["diff", QAT, RES, "--format", "html", "-o", "out\nx.html"], capsys)
    assert code == 0 and (tmp_path / "out\nx.html").is_file()
    assert err == "wrote html report to out\\x0ax.html\n"


# ------------------------------------------------------------------------------- 9. TRTINSPECT_MAX_FILE_BYTES
def test_size_limit_in_bytes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRTINSPECT_MAX_FILE_BYTES", "1000")
    err = one_line_error(*run_cli(["report", "sample:resnet18-a100/qat"], capsys))
    assert "file is 34,841 bytes, over the limit of 1,000 bytes" in err


@pytest.mark.parametrize("value", ["-1", "0", "abc", "1.5"])
def test_a_limit_that_is_not_a_positive_byte_count_is_refused(value: str, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TRTINSPECT_MAX_FILE_BYTES", value)
    err = one_line_error(*run_cli(["report", "sample:resnet18-a100/qat"], capsys))
    assert f"TRTINSPECT_MAX_FILE_BYTES={value!r} is not a positive byte count" in err


# ----------------------------------------------------------------------------------- 10. profile's input kind
def test_profile_of_an_onnx_model_says_use_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "m.onnx"
    model.write_text("x\n")
    err = one_line_error(*run_cli(["profile", str(model), "--out", str(tmp_path / "p")], capsys))
    assert "is an ONNX model; profile takes a serialized engine" in err and "trtinspect capture" in err
    assert "TensorRT" not in err.split(".", 1)[0]


def test_profile_of_an_export_or_empty_file_names_the_kind(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "x.engine.graph.json"
    shutil.copy(next((RESNET / "qat").glob("*.graph.json")), graph)
    err = one_line_error(*run_cli(["profile", str(graph), "--out", str(tmp_path / "p")], capsys))
    assert "is a layer info file, not a serialized engine" in err and "trtinspect report" in err
    empty = tmp_path / "e.engine"
    empty.write_bytes(b"")
    err = one_line_error(*run_cli(["profile", str(empty), "--out", str(tmp_path / "p")], capsys))
    assert "file is empty, expected a serialized engine" in err


# ----------------------------------------------------------------------------------- 11. diff's residual
def test_diff_residual_is_rounded_to_the_shown_precision(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["diff", QAT, RES], capsys)
    assert code == 0 and "(reconciled, residual 0 ms)" in out and "e-1" not in out


# ----------------------------------------------------------------- 1. a bad file a folder picks by its name
BUNDLE_NAMES = ["profile.json", "graph.json", "timing.json", "metadata.json", "build.metadata.json",
                "profile.metadata.json"]


@pytest.mark.parametrize("content", [b"", b"hello\n", b'{"a": 1}', b"\x00\x01\x02binary"],
                         ids=["empty", "text", "foreign-json", "binary"])
@pytest.mark.parametrize("suffix", BUNDLE_NAMES)
def test_a_bad_file_in_a_bundle_folder_is_refused_by_name(suffix: str, content: bytes, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "q"
    shutil.copytree(QAT, folder)
    bad = folder / f"resnet-qat.onnx.engine.{suffix}"
    bad.write_bytes(content)
    err = one_line_error(*run_cli(["report", str(folder)], capsys))
    assert f"{bad}: " in err and "move it out of the folder" in err
    err = one_line_error(*run_cli(["report", str(folder / "resnet-qat.onnx.engine")], capsys))   # its sidecars
    assert f"{bad}: " in err


def test_check_with_an_empty_profile_in_the_folder_is_no_pass(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The defect's command: an empty profile dropped, an end-to-end-only PASS."""
    folder = tmp_path / "q"
    shutil.copytree(QAT, folder)
    (folder / "resnet-qat.onnx.engine.profile.json").write_bytes(b"")
    err = one_line_error(*run_cli(["check", "--baseline", str(folder), "--candidate",
                                   "sample:resnet18-a100/qat-residual"], capsys))
    assert "resnet-qat.onnx.engine.profile.json: file is empty" in err


def test_a_folder_of_one_empty_graph_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.engine.graph.json").write_bytes(b"")
    err = one_line_error(*run_cli(["report", str(tmp_path)], capsys))
    assert "x.engine.graph.json: file is empty" in err and "holds no TensorRT" not in err


def test_other_files_of_a_bundle_folder_are_still_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "q"
    shutil.copytree(QAT, folder)
    (folder / "notes.txt").write_text("hello\n")
    (folder / "resnet-qat.onnx.engine.png").write_bytes(b"\x89PNG\x00\x01")
    code, out, _ = run_cli(["report", str(folder)], capsys)
    assert code == 0 and "Layers           37 (detailed)" in out


# ------------------------------------------------------------------ 2. an auto-found config with stray keys
@pytest.mark.parametrize("body", ['threshold = "90%"\n', '[chekc]\nthreshold = "90%"\n',
                                  '[check]\nthreshold = "90%"\n\n[bogus]\nx = 1\n',
                                  'bogus = 1\n[check]\nthreshold = "90%"\n'],
                         ids=["top-level", "misspelled-table", "other-table", "stray-key"])
def test_found_trtinspect_toml_with_stray_keys_is_refused(body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "trtinspect.toml").write_text(body)
    monkeypatch.chdir(tmp_path)
    err = one_line_error(*run_cli(CHECK, capsys))
    assert "trtinspect.toml: key(s) outside the check table: " in err
    err_config = one_line_error(*run_cli([*CHECK, "--config", "trtinspect.toml"], capsys))   # as --config
    assert err_config.split("trtinspect.toml: ", 1)[1] == err.split("trtinspect.toml: ", 1)[1]


def test_found_pyproject_with_a_misspelled_table_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n\n[tool.trtinspect.chek]\n'
                                             'threshold = "90%"\n')
    monkeypatch.chdir(tmp_path)
    err = one_line_error(*run_cli(CHECK, capsys))
    assert "pyproject.toml: key(s) outside the check table: tool.trtinspect.chek" in err


def test_the_applied_config_is_named_in_the_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n\n[tool.trtinspect.check]\n'
                                             'threshold = "90%"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(CHECK, capsys)
    assert code in (0, 1) and out.splitlines()[3] == "config: pyproject.toml (found in the working directory)"
    code, out, _ = run_cli([*CHECK, "--config", "pyproject.toml"], capsys)
    assert out.splitlines()[3] == "config: pyproject.toml"
    monkeypatch.chdir(RESNET)       # no config file there: no config line
    code, out, _ = run_cli(CHECK, capsys)
    assert "config:" not in out


# ------------------------------------------------------------------ 8. every reason at once, the network first
ALEXNET = str(Path(__file__).resolve().parent / "data" / "external" / "trex-rtx3060laptop-alexnet")


@pytest.mark.parametrize("allow", [[], ["--allow-different", "gpu"]], ids=["plain", "allow-gpu"])
def test_a_different_network_on_another_gpu_says_both_network_first(allow: list[str],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["check", "--baseline", "sample:resnet18-a100/qat", "--candidate", ALEXNET, *allow],
                             capsys)
    assert code == 3 and out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("trtinspect: not comparable: baseline 'resnet-qat.onnx' and candidate "
                          "'trex-rtx3060laptop-alexnet' look like different networks: only 17% ")
    assert "--allow-different" not in err        # it cannot make another network comparable
    assert ("gpu differs" in err) == (not allow)


# ------------------------------------------------------------------ 4. a dynamic dimension; shapes no engine has
def _qat_with_dims(tmp_path: Path, dims: object) -> Path:
    folder = tmp_path / "q"
    shutil.copytree(QAT, folder)
    graph = next(folder.glob("*.graph.json"))
    doc = json.loads(graph.read_text())
    doc["Layers"][1]["Outputs"][0]["Dimensions"] = dims
    graph.write_text(json.dumps(doc))
    return folder


def test_a_dynamic_dimension_keeps_the_measured_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The defect's command: layer 1's output [-1,64,112,112] turned residual-not-quantized into a warning whose
    cost line said 'not estimated; 0.0270 ms of it estimated'."""
    folder = _qat_with_dims(tmp_path, [-1, 64, 112, 112])
    code, out, _ = run_cli(["lint", str(folder), "--fail-on", "error"], capsys)
    assert code == 1
    first = " ".join(out.split("\n  1. ", 1)[1].split("proven", 1)[0].split())
    assert first.startswith("[error] residual-not-quantized 0.2277 ms estimated saving")
    assert "not estimated;" not in first
    assert ("bytes of conv1.weight + QuantizeLinear_7 + Conv_9 not estimated (tensor onnx::MaxPool_136 shape "
            "[-1, 64, 112, 112]: a dynamic dimension (-1), resolved at run time)") in first
    code, out, _ = run_cli(["lint", str(folder), "--format", "json"], capsys)
    root = json.loads(out)["findings"][0]
    assert root["evidence"]["bytes_not_estimated"] == [{
        "layer": "conv1.weight + QuantizeLinear_7 + Conv_9", "tensor": "onnx::MaxPool_136",
        "shape": [-1, 64, 112, 112], "why": "a dynamic dimension (-1), resolved at run time"}]


def test_unmodified_qat_has_no_bytes_note(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["lint", QAT, "--format", "json"], capsys)
    assert code == 0 and "bytes_not_estimated" not in out
    assert round(json.loads(out)["findings"][0]["cost_ms"], 4) == 0.2675


@pytest.mark.parametrize("dims", [["a", 64, 112, 112], [None, 64], [1e30, 64], [10**30, 64], [True, 64], "32x64"],
                         ids=["string", "null", "1e30", "10**30", "bool", "text"])
def test_a_shape_no_engine_has_is_refused_naming_the_layer(dims: object, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = _qat_with_dims(tmp_path, dims)
    err = one_line_error(*run_cli(["lint", str(folder)], capsys))
    assert "resnet-qat.onnx.engine.graph.json: layer 'conv1.weight + QuantizeLinear_7 + Conv_9' (record 1): " \
           "a tensor of 'Outputs' has Dimensions " in err and "not a tensor shape" in err
