"""TensorRT-engineer review of `check` / `history` (trust-check): the end-to-end figure is named by its source in
every format, group labels are never cut, check and history agree on a layer's per-iteration time."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import DATA, LOGS, run_cli

import trtinspect
from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check
from trtinspect.inspector.check_inputs import whole_label
from trtinspect.render import check as check_report

H100 = LOGS / "trt10.16-h100" / "result-05.log"   # --dumpProfile run: 18362 iterations, no end-to-end summary
RTX3090 = DATA / "external" / "trex-rtx3090-resnet50"
ROW = re.compile(r"^(.*\[I\]\s+)(\d+\.\d+)(\s+)(\d+\.\d+)(\s+)(\d+\.\d+)(\s+)(\d+\.\d+)(\s+)(.+)$")


def _rerun(tmp_path: Path, factor: float) -> Path:
    """Another run of result-05's engine (GENERATED at test time): every profile row's Time(ms), Avg.(ms) and
    Median(ms) x ``factor``, printed as trtexec prints them; the header, iteration count and Time % kept."""
    out = []
    for line in H100.read_text(encoding="utf-8").splitlines(keepends=True):
        m = ROW.match(line.rstrip("\n"))
        if m and "Time(ms)" not in line:
            g = list(m.groups())
            g[1], g[3], g[5] = f"{float(g[1]) * factor:.2f}", f"{float(g[3]) * factor:.4f}", \
                f"{float(g[5]) * factor:.4f}"
            line = "".join(g) + "\n"
        out.append(line)
    path = tmp_path / f"result-05.x{factor}.generated.log"
    path.write_text("".join(out), encoding="utf-8")
    return path


@pytest.mark.parametrize("factor", [1.01, 1.2])
def test_a_profile_sum_is_never_called_gpu_compute(factor: float, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`check --baseline result-05.log --candidate <another run>` said 'end-to-end GPU compute 0.0833 -> ...'
    while the figure is the per-layer profile's sum (result-05.log reports no end-to-end time)."""
    cand = _rerun(tmp_path, factor)
    r = run_check([trtinspect.load(H100)], [trtinspect.load(cand)])
    assert r.end_to_end.source == "layer_sum"
    outputs = {fmt: render(r) for fmt, render in check_report.FORMATS.items()}   # every format check writes
    assert "GPU compute 0.0833" not in "".join(outputs.values())
    head = check_report.headline(r)
    assert "per-layer profile sum (not GPU compute time) 0.0833 -> " in head, head
    doc = json.loads(outputs["json"])
    assert doc["end_to_end"]["source"] == "layer_sum" and doc["headline"] == head
    assert "not GPU compute time" in doc["end_to_end"]["statistic"]
    assert head in outputs["text"] and head in outputs["markdown"].replace("&gt;", ">")
    cases = [c.get("name") for c in ET.fromstring(outputs["junit"]).iter("testcase")]
    assert cases[0] == "per-layer profile sum" and "end-to-end GPU compute" not in outputs["junit"]
    assert next(iter(json.loads(outputs["bencher"]))).endswith("/per-layer profile sum")
    assert json.loads(outputs["benchmark-json"])[0]["name"].endswith("/per-layer profile sum")
    if factor > 1.05:   # a regression: the annotation names the figure too
        assert r.end_to_end.status == "regression"
        assert any(a.startswith("::error title=trtinspect%3A per-layer profile sum regression::")
                   for a in outputs["annotations"].splitlines())
    code, out, _ = run_cli(["check", "--baseline", str(H100), "--candidate", str(cand)], capsys)
    assert code == (1 if factor > 1.05 else 0) and out.splitlines()[0] == head


def test_gpu_compute_keeps_its_name() -> None:
    """Where both sides have GPU compute time, the figure keeps its name (outputs unchanged)."""
    r = run_check([trtinspect.load(RTX3090 / "qat")], [trtinspect.load(RTX3090 / "fp16")])
    assert "end-to-end GPU compute" in check_report.headline(r)
    assert 'name="end-to-end GPU compute"' in check_report.to_junit(r)


def test_group_labels_are_never_cut(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """RTX 3090 ResNet-50 QAT vs FP16: 48 of 58 labels were cut at 60 characters ('resnet50/conv2_block1_3_conv/
    Conv2D + resnet50/conv2_block1...'), hiding which block a group is. Each is now whole (layer names of the
    group), and the terminal table still fits 80 columns (names wrap under their column)."""
    r = run_check([trtinspect.load(RTX3090 / "qat")], [trtinspect.load(RTX3090 / "fp16")])
    labels = list(r.groups["label"])
    assert len(set(labels)) == len(labels) and not [x for x in labels if x.endswith("...")]
    long = r.groups[r.groups["label"].str.len() > 60]
    assert len(long) >= 40
    for g in long.to_dict("records"):   # whole layer names of the group, joined by ' + '
        rest = g["label"]
        for name in sorted({*g["layers_a"], *g["layers_b"]}, key=len, reverse=True):
            rest = rest.replace(name, "")
        assert re.fullmatch(r"( \+ )*( \+ \d+ more)?", rest), (g["label"], rest)
    assert ("resnet50/conv2_block1_3_conv/Conv2D + resnet50/conv2_block1_0_conv/Conv2D + "
            "resnet50/conv2_block1_add/add + resnet50/conv2_block1_out/Relu") in labels
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(["check", "--baseline", str(RTX3090 / "qat"), "--candidate", str(RTX3090 / "fp16")],
                           capsys)
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("status "))
    end = next(i for i, line in enumerate(lines) if "group(s) within thresholds" in line)
    assert code == 1 and max(len(line) for line in lines[start:end]) <= 80


def test_whole_label_restores_names_cut_alike() -> None:
    a, b = "x" * 58 + "_conv_a", "x" * 58 + "_conv_b"
    cut = "x" * 57 + "..."
    assert whole_label(f"{cut} + short", [a, "short"]) == f"{a} + short"
    assert whole_label(cut, [a, b]) == f"{a} + {b}"          # two names cut alike: both written
    fused = "Reformatting CopyNode for Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}"
    assert whole_label(fused[:57] + "...", [fused]) == fused
    assert whole_label("conv1", ["conv1"]) == "conv1"


def test_check_and_history_agree_on_a_layers_time(tmp_path: Path) -> None:
    """result-05.log prints node_conv2d_myl0_1 as 'Time 193.50 ms, Avg. 0.0105' over 18362 iterations: check
    judged 0.0105 (the 4-decimal print) without layer information and Time/iterations with it; history stored
    the print. Both now use 193.50 / 18362 = 0.010538 ms (the per-layer total's basis, trtexec's Time % rule)."""
    base, cand = trtinspect.load(H100), trtinspect.load(_rerun(tmp_path, 1.01))
    r = run_check([base], [cand])
    row = r.groups.set_index("label").loc["node_conv2d_myl0_1"]
    # its Time(ms) share of the rows' 1529.14 ms, of the Total row's 1529.13 ms / 18362: 193.50 / 18362 to 6 digits
    want = 193.50 / 1529.14 * 1529.13 / 18362
    assert row["base_ms"] == pytest.approx(want, rel=1e-9) and want == pytest.approx(193.50 / 18362, rel=1e-5)
    url = history.as_url(tmp_path / "h.sqlite")
    history.record(r, [base], [cand], url)
    trend = history.layer_trend("node_conv2d_myl0_1", url)
    layer = trend[trend["what"] == "layer"].iloc[0]
    group = trend[trend["what"] == "group"].iloc[0]
    assert layer["base_ms"] == pytest.approx(want, rel=1e-9) and group["base_ms"] == pytest.approx(want, rel=1e-9)
    assert layer["cand_ms"] == pytest.approx(group["cand_ms"], rel=1e-9)


def test_history_sums_a_names_rows_as_check_does(tmp_path: Path) -> None:
    """A profile naming one layer twice (0.1 + 0.2 ms): check's group is 0.3 ms; history stored two rows and
    its trend averaged them (0.15). It now stores the name once, 0.3 ms."""
    rows = [{"name": n, "timeMs": 100 * ms, "averageMs": ms, "medianMs": ms, "percentage": 10.0}
            for n, ms in (("Conv_0 + Relu_1", 0.1), ("dup", 0.1), ("dup", 0.2), ("Conv_2", 0.1))]
    a, b = tmp_path / "a.profile.json", tmp_path / "b.profile.json"
    a.write_text(json.dumps([{"count": 100}, *rows]))
    b.write_text(json.dumps([{"count": 200}, *({**x, "timeMs": 2 * float(x["timeMs"])} for x in rows)]))
    # trust-user (new-user trial 3, defect 5): trtexec writes one record per layer, so such a profile is now
    # refused when read; nothing reaches check or history to be summed twice
    for path in (a, b):
        with pytest.raises(TrtInspectError, match="layer 'dup' has 2 records"):
            trtinspect.load(path)


def test_zero_gpu_time_is_no_measurement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A times file whose iterations took 0 ms (computeMs 0: a broken export) read as a -100% improvement and
    PASSed, trading two slower groups for the 'gain'. It is refused like other broken evidence (exit 2)."""
    import shutil

    from conftest import RESNET

    cand = tmp_path / "zero"
    shutil.copytree(RESNET / "qat-residual", cand)
    timing = next(cand.glob("*.timing.json"))
    rows = json.loads(timing.read_text())
    for x in rows:
        x["computeMs"], x["latencyMs"], x["endComputeMs"] = 0, 0, x["startComputeMs"]
    timing.write_text(json.dumps(rows))
    code, out, err = run_cli(["check", "--baseline", str(RESNET / "qat"), "--candidate", str(cand)], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1, (out, err)
    assert f"{cand}: candidate run 'resnet-qat-residual.onnx': its median GPU compute time is 0 ms" in err


def test_history_names_a_profile_sum(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`history` lists a check judged on the per-layer profile sum as 'lsum' (said under the table), not beside
    GPU compute medians as a 'mean' of the same figure; the web app's statistic column names it."""
    from trtinspect.app.pages_history import run_records

    db = tmp_path / "h.sqlite"
    code, _, err = run_cli(["check", "--baseline", str(H100), "--candidate", str(_rerun(tmp_path, 1.01)),
                            "--record", str(db)], capsys)
    assert code == 0, err
    code, out, _ = run_cli(["history", "--db", str(db)], capsys)
    assert code == 0 and " lsum " in out and out.rstrip().endswith(
        "lsum: mean per-run per-layer profile sum, not GPU compute time"), out
    runs = history.list_runs(history.as_url(db))
    assert run_records(runs)[0]["statistic"] == "mean per-layer profile sum (not GPU compute time)"
