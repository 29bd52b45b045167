"""Input defects found by a new-user trial and a TensorRT-engineer review (trust-input): each failing command, now
one line naming the file and exit 2 (docs/bad-input.md, docs/bundles.md). Real files only, damaged at test time."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, LOGS, RESNET, run_cli

import trtinspect
from trtinspect.errors import TrtInspectError

H100 = LOGS / "trt10.16-h100"
QAT = RESNET / "qat"
QAT_PROFILE = "resnet-qat.onnx.engine.profile.json"


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    return err


# ---- 1. a truncated --exportProfile inside a bundle: exit 2 for every command and the upload ----------------
@pytest.fixture(scope="module")
def truncated_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cp -r sample_engines/resnet18-a100/qat tb && head -c 3000 .../resnet-qat.onnx.engine.profile.json > tb/...`"""
    folder = tmp_path_factory.mktemp("x") / "tb"
    shutil.copytree(QAT, folder)
    (folder / QAT_PROFILE).write_bytes((QAT / QAT_PROFILE).read_bytes()[:3000])
    return folder


@pytest.mark.parametrize("args", [
    ["lint", "{tb}", "--fail-on", "error"],
    ["diff", "sample:resnet18-a100/qat", "{tb}"],
    ["report", "{tb}"],
    ["report", "{tb}", "--format", "json"],
    ["check", "--baseline", "sample:resnet18-a100/qat", "--candidate", "{tb}"],
])
def test_truncated_profile_in_a_bundle_is_refused(args: list[str], truncated_bundle: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(*run_cli([a.format(tb=truncated_bundle) for a in args], capsys))
    assert f"{truncated_bundle / QAT_PROFILE}: incomplete layer profile: the file is truncated" in err
    assert "Re-export it with trtexec --exportProfile=FILE" in err


def test_truncated_profile_upload_is_an_error_message(truncated_bundle: Path) -> None:
    from trtinspect.app import callbacks as cb
    from trtinspect.app.state import Registry

    reg = Registry()
    names = [p.name for p in sorted(truncated_bundle.iterdir())]
    urls = ["data:application/octet-stream;base64," + base64.b64encode((truncated_bundle / n).read_bytes()).decode()
            for n in names]
    msg, cards = cb.upload(reg, urls, names, max_bytes=50 * 2**20)
    text = msg.children
    assert isinstance(text, str) and text.startswith("upload error: ") and "\n" not in text, text
    assert "incomplete layer profile: the file is truncated" in text and QAT_PROFILE in text
    assert len(reg) == 0 and cards == []


# ---- 2. non-finite / negative figures in a trtexec log's performance summary --------------------------------
@pytest.mark.parametrize(("old", "new", "why"), [
    ("mean = 0.0359588 ms", "mean = nan ms", "GPU Compute Time mean is nan ms, not a finite number"),
    ("median = 0.0361328 ms", "median = inf ms", "GPU Compute Time median is inf ms, not a finite number"),
    ("median = 0.0361328 ms", "median = -0.0361328 ms", "GPU Compute Time median is -0.0361328 ms, a negative"),
    ("median = 0.0361328 ms", "median = -nan ms", "GPU Compute Time median is nan ms, not a finite number"),
])
def test_non_finite_summary_figures_are_refused(old: str, new: str, why: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    lines = (H100 / "result-01.log").read_text().split("\n")
    line = next(i for i, t in enumerate(lines, 1) if "GPU Compute Time: min" in t)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)   # `sed 's/mean = 0.0359588 ms/mean = nan ms/'`
    bad = tmp_path / "nan.log"
    bad.write_text("\n".join(lines))
    for args in (["report", str(bad)],
                 ["check", "--baseline", str(H100 / "result-01.log"), "--candidate", str(bad)]):
        err = one_line_error(*run_cli(args, capsys))
        assert f"{bad}: performance summary, line {line}: {why}" in err, err
        assert "PASS" not in err


# ---- 3. a profile count of 0 or below -----------------------------------------------------------------------
@pytest.mark.parametrize("count", [-3, 0, 2.5, "10", None])
def test_bad_profile_count_is_refused(count: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "cnt"
    shutil.copytree(QAT, folder)
    records = json.loads((QAT / QAT_PROFILE).read_text())
    records[0] = {"count": count}
    (folder / QAT_PROFILE).write_text(json.dumps(records))
    err = one_line_error(*run_cli(["report", str(folder)], capsys))
    assert f'{folder / QAT_PROFILE}: the {{"count": N}} header is {count!r}, not a number of profiled' in err


def test_negative_count_in_a_profile_read_from_raw_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A profile holding a backslash is re-read from the raw text (names verbatim): the same refusal."""
    records = json.loads((QAT / QAT_PROFILE).read_text())
    records[0] = {"count": -3}
    records[1]["name"] = "a\\" + records[1]["name"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(records))
    err = one_line_error(*run_cli(["report", str(path)], capsys))
    assert f'{path}: the {{"count": N}} header is -3, not a number' in err


# ---- 4. one engine's layers with another build's profile ---------------------------------------------------
def test_mixed_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fp16 graph + fp32 profile and times in one folder: 26 of 32 rows match by name (fused names coincide)."""
    mix = tmp_path / "mix"
    mix.mkdir()
    for src in [*(RESNET / "fp16").glob("*.graph.json"), *(RESNET / "fp32").glob("*.profile.json"),
                *(RESNET / "fp32").glob("*.timing.json")]:
        shutil.copy(src, mix / src.name)
    for command in ("report", "lint"):
        err = one_line_error(*run_cli([command, str(mix)], capsys))
        assert (f"{mix}/resnet.onnx.engine.profile.json and {mix}/resnet.onnx.engine.graph.json: the profile does "
                "not belong to this engine: 6 of 32 profiled names match no layer") in err
        assert "and 10 of 36 layers have no profiled time: each file names layers the other lacks" in err


@pytest.mark.parametrize(("graph", "profile"), [("fp16", "fp32"), ("fp32", "fp16")])
def test_other_build_of_the_same_network_is_refused(graph: str, profile: str) -> None:
    for root in (RESNET, DATA / "external" / "trex-rtx3090-resnet50"):
        with pytest.raises(TrtInspectError, match="each file names layers the other lacks"):
            trtinspect.load(next((root / graph).glob("*.graph.json")), next((root / profile).glob("*.profile.json")))


def test_every_real_bundle_still_loads() -> None:
    """Every real bundle with layers and a profile from two files matches every profiled name."""
    folders = [*(p for p in RESNET.iterdir() if p.is_dir()),
               *(p for p in (DATA / "external" / "trex-rtx3090-resnet50").iterdir() if p.is_dir()),
               *(p for p in (DATA / "external" / "trex-titanrtx-mobilenet").iterdir() if p.is_dir()),
               DATA / "external" / "trex-rtx3060laptop-alexnet"]
    for folder in folders:
        b = trtinspect.load(folder)
        assert not b.unmatched_profile and not b.unmatched_layers, folder


def test_myelin_kernels_of_a_foreign_node_are_the_engines(capsys: pytest.CaptureFixture[str]) -> None:
    """Real TensorRT 10.16: result-02.log built model-trained.trt (its verbose layer information lists three
    {ForeignNode[...]} layers), result-05.log profiled that engine (--dumpProfile names the Myelin kernels,
    `node_conv2d_myl0_1`). One engine: it loads (it was refused as 3 of 15 rows matching), with a note."""
    b = trtinspect.load(H100 / "result-02.log", H100 / "result-05.log")
    assert len(b.unmatched_profile) == 12 and all("_myl" in n for n in b.unmatched_profile)
    assert any("12 profiled name(s) are Myelin kernels" in n and "3 {ForeignNode[...]} layer(s)" in n
               for n in b.notes)
    # a profile of another engine that names Myelin kernels is still refused (result-04 built its own engine)
    with pytest.raises(TrtInspectError, match="does not belong to this engine: 2 of 15"):
        trtinspect.load(H100 / "result-04.log", H100 / "result-05.log")


# ---- 5. check on times that contradict the run's own printed summary -----------------------------------------
def _scaled_run(src: Path, out: Path, factor: float) -> Path:
    shutil.copytree(src, out)
    timing = next(out.glob("*.timing.json"))
    rows = json.loads(timing.read_text())
    for r in rows:
        r["computeMs"], r["latencyMs"] = r["computeMs"] * factor, r["latencyMs"] * factor
    timing.write_text(json.dumps(rows))
    return out


def test_check_refuses_times_that_contradict_the_summary(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cand = _scaled_run(RESNET / "fp16", tmp_path / "cand0", 1.06)
    err = one_line_error(*run_cli(["check", "--baseline", str(RESNET / "fp16"), "--candidate", str(cand)], capsys))
    assert (f"{cand}/resnet.onnx.engine.timing.json: candidate run 'resnet.onnx': the per-iteration times "
            f"contradict the run's own performance summary ({cand}/resnet.onnx.engine.profile.metadata.json): "
            "GPU Compute Time median 0.913914 vs trtexec 0.862183, GPU Compute Time mean") in err, err
    assert "figures differ)" in err and "pass the files of one run" in err
    # report still shows the run, saying which figures differ
    code, out, _ = run_cli(["report", str(cand)], capsys)
    assert code == 0 and "DIFFERENT: " in out
