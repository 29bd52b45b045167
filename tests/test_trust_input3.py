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


SUMMARY_LOG = LOGS / "seed-fx-vs-implicit-int8" / "fx-qdq-int8.after-fix.summary.log"   # RTX 3080 CenterNet


@pytest.mark.parametrize("command", ["report", "lint", "diff", "check"])
def test_another_runs_summary_only_log_is_refused_on_its_figures(command: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A summary excerpt prints no GPU, model, inputs or layer names, only figures: merged with a note, it made
    report say 305.313 qps (the engine's own run: 1130.01) and diff show enqueue 0.3342 -> 0.0051; check blamed
    the TREx metadata for the log's 3.25109. Its figures are compared with the run's: refused, naming the log,
    the figure and the file it differs from."""
    folder = _folder(tmp_path, "qat", SUMMARY_LOG)
    args = {"report": ["report", str(folder)], "lint": ["lint", str(folder)], "diff": ["diff", str(folder), RES],
            "check": ["check", "--baseline", str(folder), "--candidate", RES]}[command]
    err = one_line_error(*run_cli(args, capsys))
    assert (f"{folder}/fx-qdq-int8.after-fix.summary.log: this trtexec log is not of the run of "
            "resnet-qat.onnx.engine") in err, err
    assert (f"performance summary (GPU Compute Time median 3.24609 vs 0.882568 in "
            f"{folder}/resnet-qat.onnx.engine.profile.metadata.json; 27 more figure(s) differ)") in err, err


def test_summary_only_log_without_metadata_is_compared_with_the_times(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, "qat", SUMMARY_LOG)
    (folder / "resnet-qat.onnx.engine.profile.metadata.json").unlink()
    err = one_line_error(*run_cli(["report", str(folder)], capsys))
    assert "fx-qdq-int8.after-fix.summary.log: this trtexec log is not of the run of" in err
    assert (f"performance summary (recomputed from {folder}/resnet-qat.onnx.engine.timing.json vs the log's: "
            "GPU Compute Time median 0.882568 vs trtexec 3.24609") in err, err


def _own_summary_log(folder: Path) -> Path:
    """The engine's own run's summary, printed as trtexec prints it (figures of its TREx profile metadata)."""
    ps = json.loads((folder / "resnet-qat.onnx.engine.profile.metadata.json").read_text())["performance_summary"]

    def stats(name: str) -> str:
        lo, hi, mean, median, p99 = ps[name]
        return (f"[I] {name}: min = {lo:g} ms, max = {hi:g} ms, mean = {mean:g} ms, median = {median:g} ms, "
                f"percentile(99%) = {p99:g} ms")
    lines = ["[I] === Performance summary ===", f"[I] Throughput: {ps['Throughput']:g} qps",
             *(stats(n) for n in ("Latency", "Enqueue Time", "H2D Latency", "GPU Compute Time", "D2H Latency")),
             f"[I] Total Host Walltime: {ps['Total Host Walltime']:g} s",
             f"[I] Total GPU Compute Time: {ps['Total GPU Compute Time']:g} s"]
    log = folder / "own-run.summary.log"
    log.write_text("\n".join(lines) + "\n")
    return log


def test_the_runs_own_summary_only_log_is_merged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A summary excerpt whose figures are the run's own (to the 6 digits trtexec prints) is judged by them: merged,
    no note saying it could not be judged, the run's figures unchanged."""
    folder = _folder(tmp_path, "qat")
    _own_summary_log(folder)
    code, out, err = run_cli(["report", str(folder), "--format", "json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert not any(n.startswith("own-run.summary.log: merged with") for n in notes), notes
    code, out, err = run_cli(["report", str(folder)], capsys)
    assert code == 0 and "1130.01 qps" in out, out


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


# ---- 3. a config file check read is never an output ----------------------------------------------------------
@pytest.mark.parametrize("name, text", [("pyproject.toml", "[tool.black]\nline-length = 100\n"),
                                        ("pyproject.toml", ""),
                                        ("trtinspect.toml", "[check]\nthreshold = \"5%\"\n")])
def test_check_never_writes_over_a_config_file_it_read(name: str, text: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`check ... --json pyproject.toml` beside a pyproject.toml without a trtinspect table replaced it with
    JSON (exit 0), and every later check failed on it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text, encoding="utf-8")
    err = one_line_error(*run_cli(["check", "--baseline", QAT, "--candidate", RES, "--json", name], capsys))
    assert f"{name}: is a file this command reads; writing the --json output there would replace it" in err
    assert (tmp_path / name).read_text(encoding="utf-8") == text


def test_check_refuses_a_file_named_like_a_config_it_did_not_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """trtinspect.toml holds the check table, so pyproject.toml is not opened this time; it is still a config
    file check looks for (the next run, without trtinspect.toml, would read it): refused (tests/test_trust_input4)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trtinspect.toml").write_text("[check]\nthreshold = \"5%\"\n", encoding="utf-8")
    code, out, err = run_cli(["check", "--baseline", QAT, "--candidate", RES, "--json", "pyproject.toml"], capsys)
    assert code == 2 and out == "" and "pyproject.toml: is a config file name check looks for" in err, err
    assert not (tmp_path / "pyproject.toml").exists()


# ---- 4. options given twice, or with one they exclude: a usage error naming the conflict ----------------------
@pytest.mark.parametrize("args, expect", [
    (["check", "--baseline", QAT, "--candidate", RES, "--json", "a.json", "--json", "b.json"],
     "trtinspect check: error: --json is given 2 times (--json a.json, --json b.json)"),
    (["diff", QAT, RES, "--format", "html", "--format=json", "-o", "x"],
     "trtinspect diff: error: --format is given 2 times (--format html, --format=json)"),
    (["diff", QAT, RES, "-o", "x", "--output", "y"], "--output is given 2 times (-o x, --output y)"),
    (["check", "--baseline", QAT, "--candidate", RES, "--strict-groups", "--strict-groups"],
     "--strict-groups is given 2 times"),
    (["capture", "m.onnx", "--out", "d", "--cuda-graph", "--no-cuda-graph", "--dry-run"],
     "--cuda-graph is given 2 times (--cuda-graph, --no-cuda-graph)"),
    (["lint", QAT, "--list-rules", "--fail-on", "warning"],
     "trtinspect lint: error: --list-rules cannot be combined with PATHS or --fail-on: it lists the rules and "
     "lints nothing"),
    (["lint", "--list-rules", "--top", "3"], "--list-rules cannot be combined with --top"),
])
def test_repeated_or_contradictory_options_are_refused(args: list[str], expect: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.onnx").write_bytes(b"\x08\x07")
    err = one_line_error(*run_cli(args, capsys))
    assert expect in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]     # nothing written


def test_repeatable_options_and_list_rules_alone_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["lint", "--list-rules", "--rules", "hot-layer", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)[0]["id"] == "hot-layer", err
    code, out, err = run_cli(["check", "--baseline", QAT, "--candidate", RES, "--allow-different", "clocks",
                              "--allow-different", "trt_version", "--json", "-"], capsys)
    assert code == 0 and json.loads(out)["verdict"] == "pass", err


def test_capture_refuses_passthrough_flags_it_sets_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`-- --exportTimes=/x.json --saveEngine=o.engine --profilingVerbosity=layer_names_only` was passed on: trtexec
    got two of each, and the bundle lacked its times or detailed layers (misleading errors later)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.onnx").write_bytes(b"\x08\x07")
    err = one_line_error(*run_cli(["capture", "m.onnx", "--out", "d", "--dry-run", "--", "--exportTimes=/x.json",
                                   "--saveEngine=o.engine", "--profilingVerbosity=layer_names_only"], capsys))
    assert ("the arguments after -- set what capture sets itself: --exportTimes (the bundle's timing export); "
            "--profilingVerbosity (every run's profiling setting); --saveEngine (where the engine built from the "
            "ONNX model is saved)") in err
    err = one_line_error(*run_cli(["capture", "m.onnx", "--out", "d", "--dry-run", "--shapes", "x:1x3",
                                   "--", "--shapes=x:2x3"], capsys))
    assert "--shapes (capture's --shapes option)" in err
    code, out, err = run_cli(["capture", "m.onnx", "--out", "d", "--dry-run", "--", "--fp16", "--shapes=x:2x3"],
                             capsys)
    assert code == 0 and out.count("--fp16 --shapes=x:2x3") == 3, err


# ---- 5. diff of a run with itself says so, and claims no measured difference ------------------------------------
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_diff_of_the_same_files_says_so(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`diff fp16 fp16` said 'No structural or precision change.' then 'Also: Same layers and kernels, different
    measured time (net under 0.0005 ms).'"""
    code, out, err = run_cli(["diff", "sample:resnet18-a100/fp16", "sample:resnet18-a100/fp16", "--format", fmt],
                             capsys)
    assert code == 0, err
    assert "A and B are the same run (the same files): every difference below is zero" in out
    assert "different measured time" not in out
    if fmt == "json":
        assert json.loads(out)["summary"].startswith("A and B are the same run (the same files)")


def test_diff_of_a_copied_run_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "qat-copy"
    shutil.copytree(RESNET / "qat", copy)
    code, out, err = run_cli(["diff", QAT, str(copy)], capsys)
    assert code == 0, err
    assert "A and B are the same run (the same per-iteration times (3614 iterations))" in out
    assert "different measured time" not in out


def test_diff_of_two_runs_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["diff", QAT, RES], capsys)
    assert code == 0 and "the same run" not in out


# ---- 6. an iteration count of 0 in a --dumpProfile title is refused as {"count": 0} is; long values are cut -------
def _edited(tmp_path: Path, src: Path, name: str, old: str, new: str) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


@pytest.mark.parametrize("n, expect", [("0", "its title says 0 iterations, not a number of profiled iterations (a "
                                               "whole number of at least 1)"),
                                       ("1" + "0" * 5000, "its title says 1000000000000000000000000000...0000 (5001 "
                                                          "characters) iterations"),
                                       ("99999999999999999999", "(beyond any real run)")])
def test_dumpprofile_title_iterations_out_of_range_are_refused(n: str, expect: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """`=== Profile (0 iterations ) ===` was read as 'the iteration count was not printed' and report estimated
    about 18357 iterations; a profile JSON's {"count": 0} is refused."""
    log = _edited(tmp_path, LOGS / "trt10.16-h100" / "result-05.log", "r.log", "(18362 iterations )",
                  f"({n} iterations )")
    err = one_line_error(*run_cli(["report", str(log)], capsys))
    assert "r.log: --dumpProfile table: its title says " in err and expect in err
    assert len(err) < 400


@pytest.mark.parametrize("old, new, expect", [
    ('"averageMs" : 0.06144', '"averageMs" : 1' + "0" * 400,
     "averageMs is 1000000000000000000000000000...0000 (401 characters), not a finite number (record 1)"),
    ('{ "count" : 1 }', '{ "count" : 1' + "0" * 400 + " }",
     'the {"count": N} header is 1000000000000000000000000000...0000 (401 characters), not a number of profiled '
     "iterations (beyond any real run)"),
])
def test_out_of_range_profile_values_are_quoted_cut(old: str, new: str, expect: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """An averageMs of 10**400 printed all 401 digits in its one-line error."""
    src = RESNET / "qat" / "resnet-qat.onnx.engine.profile.json"
    path = _edited(tmp_path, src, "p.profile.json", old, new)
    err = one_line_error(*run_cli(["report", str(path)], capsys))
    assert expect in err and len(err) < 400
