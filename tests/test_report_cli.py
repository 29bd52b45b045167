"""`trtinspect report` and trtinspect.inspector.report against the real samples."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import LOGS, RESNET_VARIANTS, resnet_file

from trtinspect.cli import cli
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.report import build_report
from trtinspect.parsers.bundle import load
from trtinspect.render.report import render_markdown, render_text

LOG_FILES = sorted(p for p in LOGS.rglob("*.log"))


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _profile_records(variant: str) -> list[dict]:
    return json.loads(resnet_file(variant, "profile.json").read_text())[1:]


@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_json_report_values(variant: str) -> None:
    report = json.loads(_run(f"sample:resnet18-a100/{variant}", "--format", "json", "--top", "5"))
    graph = json.loads(resnet_file(variant, "graph.json").read_text())
    records = _profile_records(variant)
    timing = json.loads(resnet_file(variant, "timing.json").read_text())
    total = sum(r["averageMs"] for r in records)
    assert report["device"]["name"] == "NVIDIA A100 80GB PCIe"
    assert report["layers"]["count"] == len(graph["Layers"]) == report["layers"]["profiled"]
    assert sum(r["avg_ms"] for r in report["by_precision"]) == pytest.approx(total, abs=1e-5)
    assert sum(r["layers"] for r in report["by_type"]) == len(graph["Layers"])
    slowest = max(records, key=lambda r: r["averageMs"])
    assert report["top_layers"][0]["name"] == slowest["name"] and len(report["top_layers"]) == 5
    assert report["top_layers"][0]["avg_ms"] == pytest.approx(slowest["averageMs"])
    printed = json.loads(resnet_file(variant, "profile.metadata.json").read_text())["performance_summary"]
    gpu = printed["GPU Compute Time"]
    t = report["timing"]
    # trtexec's window: the iterations after the 200 ms warm-up (issue 12), its figures digit for digit
    assert t["source"] == "times" and t["window"]["exported"] == len(timing)
    assert t["iterations"] == round(printed["Total GPU Compute Time"] * 1000 / gpu[2]) < len(timing)
    assert [f"{t['compute_ms'][k]:.6g}" for k in ("min", "max", "mean", "median", "p99")] == [f"{v:g}" for v in gpu]
    assert t["h2d_ms"]["unmeasured"] == "not measured (data transfers disabled)" and t["h2d_ms"]["mean"] is None
    assert report["unmatched"] == {"profile": [], "layers": []}


def test_precision_mix_of_qat_counts_layers_per_precision() -> None:
    report = build_report(load("sample:resnet18-a100/qat"), lint=False)
    bundle = load("sample:resnet18-a100/qat")
    counts = bundle.layers["precision"].value_counts().to_dict()
    assert {r["precision"]: r["layers"] for r in report["by_precision"]} == counts
    assert "INT8" in counts


def test_text_report_is_readable() -> None:
    out = _run("sample:resnet18-a100/qat", "--top", "3")
    slowest = max(_profile_records("qat"), key=lambda r: r["averageMs"])["name"]
    for needle in ("NVIDIA A100 80GB PCIe", "Precision mix", "Time by layer type", "Top 3 layers", "INT8",
                   "GPU compute", slowest):
        assert needle in out
    assert "\x1b[" not in out  # no colour codes in a non-terminal


def test_markdown_report() -> None:
    out = _run("sample:resnet18-a100/fp16", "--format", "markdown")
    assert out.startswith("# trtinspect report: resnet.onnx")
    assert "| precision | layers | ms/iter | % time |" in out and "## Top 10 layers by time" in out


@pytest.mark.parametrize("log", LOG_FILES, ids=lambda p: p.name)
def test_report_on_every_sample_log(log: Path) -> None:
    rel = log.relative_to(LOGS.parent).as_posix()
    report = json.loads(_run(f"sample:{rel}", "--format", "json"))
    assert report["sources"]
    text = log.read_text(errors="replace")
    if "[TensorRT v" in text:
        assert report["trt_version"] is not None and text.count(f"v{report['trt_version'].split('.')[0]}") > 0
    if "=== Performance summary ===" in text and "GPU Compute Time: min" in text:
        assert report["timing"]["compute_ms"]["mean"] is not None


def test_dump_profile_log_report_sums() -> None:
    report = build_report(load(LOGS / "trt10.16-h100" / "result-05.log"), lint=False)
    bundle = load(LOGS / "trt10.16-h100" / "result-05.log")
    # the table's Total row over the printed run count (issue 12), not the 4-decimal averages summed
    assert report["layers"]["total_layer_ms"] == pytest.approx(1529.13 / 18362, rel=1e-12)
    # the rows' times are their Time(ms) share of that total (they add up to it), not the printed averages
    assert report["layers"]["rows_avg_ms"] == report["layers"]["total_layer_ms"]
    assert round(bundle.profile["avg_ms"].sum(), 6) == 0.0833    # the averages as printed stay in the profile
    assert report["trt_version"] == "10.16.1" and report["device"]["name"] == "NVIDIA H100 PCIe"


# ------------------------------------------------------------------------------------------ analyzer hook
def _fake_lint(monkeypatch: pytest.MonkeyPatch, fn: object) -> None:
    monkeypatch.setattr("trtinspect.inspector.report.lint", fn)


def test_findings_from_analyzer_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    def lint(bundle: object, detail: bool = True) -> pd.DataFrame:
        return pd.DataFrame({"rule_id": ["R1", "R2"], "severity": ["error", "info"],
                             "title": ["saving", "upper bound"], "cost_kind": ["estimated saving", "layer time"],
                             "layers": [["a"], ["b", "c"]], "cost_ms": [0.01, 0.2]})

    _fake_lint(monkeypatch, lint)
    report = build_report(load("sample:resnet18-a100/qat"), top=5)
    assert report["findings_status"] == "ok"
    # the report keeps lint's order: a larger upper bound is not shown as a bigger saving
    assert [f["rule_id"] for f in report["findings"]] == ["R1", "R2"]
    assert report["findings"][1]["layers"] == ["b", "c"]
    assert "Top findings" in render_text(report) and "Top findings" in render_markdown(report)


def test_analyzer_errors_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def lint(bundle: object, detail: bool = True) -> pd.DataFrame:
        raise RuntimeError("analyzer bug")

    _fake_lint(monkeypatch, lint)
    with pytest.raises(RuntimeError, match="analyzer bug"):
        build_report(load("sample:resnet18-a100/qat"))
    assert build_report(load("sample:resnet18-a100/qat"), lint=False)["findings_status"] == "not run"


def test_duplicate_profile_name_is_refused(tmp_path: Path) -> None:
    """A name profiled twice but present once in the layers: trtexec writes one record per layer, so the
    copy is refused (it was counted in the per-layer total as '(profiled, not in layers)'; new-user trial 3)."""
    records = json.loads(resnet_file("fp16", "profile.json").read_text())
    records.append(dict(records[2], averageMs=records[2]["averageMs"] * 10 + 1.0))  # same name, different time
    prof = tmp_path / "x.engine.profile.json"
    prof.write_text(json.dumps(records))
    with pytest.raises(TrtInspectError, match="has 2 records: trtexec writes one record per layer"):
        load(resnet_file("fp16", "graph.json"), prof)


def test_missing_version_note_names_the_trtexec_line() -> None:
    note = next(n for n in load(LOGS / "trt8.4" / "modelInformation.log").notes if "TensorRT version" in n)
    assert "&&&& RUNNING TensorRT.trtexec" in note and "only trtexec logs" not in note


def test_text_report_wraps_warnings_and_notes_without_cutting() -> None:
    bundle = load(LOGS / "trt10.16-h100" / "result-01.log")
    report = build_report(bundle)
    width = 80
    text = render_text(report, width=width)
    flat = " ".join(line.strip() for line in text.splitlines())
    for message in [w["message"] for w in report["warnings"]] + report["notes"]:
        assert " ".join(message.split()) in flat  # whole text, only re-wrapped
    tail = text[text.index("Warnings:"):].splitlines()[1:]
    assert all(line.startswith(("  - ", "    ")) or not line or line.endswith(":") for line in tail)
    assert max(len(line) for line in tail if " " in line.strip()) <= width
    assert "…" not in text[text.index("Warnings:"):]


@pytest.mark.parametrize("width", [60, 80, 120, 200])
def test_timing_caption_wraps_between_words(width: int) -> None:
    """New-user trial: at 120 columns the batch-4 caption was cut as '(data tra' / 'disabled)'."""
    text = render_text(build_report(load(LOGS / "trt10.16-h100" / "result-03.log")), width=width)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Timing per iteration of batch 4"))
    caption = []
    for line in lines[start:]:
        if not line.strip():
            break
        caption.append(line)
    assert max(len(line) for line in caption) <= width
    assert "H2D and D2H not measured (data transfers disabled)" in " ".join(caption)   # no word cut in two
    words = set(" ".join(caption).split())
    assert "tra" not in words and "transfers" in words


def test_text_width_follows_columns_else_120(monkeypatch: pytest.MonkeyPatch) -> None:
    """report, lint and diff share one width rule: COLUMNS when set, the terminal's, else 120 (file or pipe)."""
    from trtinspect.cli.options import text_width

    monkeypatch.delenv("COLUMNS", raising=False)
    assert text_width() == 120          # pytest's stdout is not a terminal
    monkeypatch.setenv("COLUMNS", "77")
    assert text_width() == 77
    monkeypatch.setenv("COLUMNS", "wide")
    assert text_width() == 120
    log = str(LOGS / "trt10.16-h100" / "result-03.log")
    for columns in ("70", "150"):
        out = CliRunner().invoke(cli, ["report", log], env={"COLUMNS": columns}, catch_exceptions=False).output
        assert max(len(line) for line in out.splitlines()) <= int(columns)
    assert any(len(line) > 120 for line in out.splitlines())      # 150 columns used, not a fixed width
    piped = CliRunner().invoke(cli, ["report", log], env={"COLUMNS": ""}, catch_exceptions=False).output
    assert max(len(line) for line in piped.splitlines()) <= 120


def test_top_findings_say_what_each_cost_is() -> None:
    """Review defect: report's Top findings put estimated savings and layers' own times (upper bounds) in one
    unlabelled `cost ms` column (qat: residual-not-quantized, a saving, next to no-tensor-cores 0.2017, conv1's own
    time; result-05.log: tiny-kernels next to hot-layer). Now every format says the basis, as lint does."""
    from trtinspect.inspector.lint import lint
    from trtinspect.render.notebook import bundle_html, findings_html

    # (qat's conv1 is a member of residual-not-quantized since review s9 #3: fp32 has both kinds)
    for src, saving_rule, bound_rule in (("sample:resnet18-a100/fp32", "reformat-copy", "no-tensor-cores"),
                                         (str(LOGS / "trt10.16-h100" / "result-05.log"), "reformat-copy", "hot-layer")):
        js = json.loads(_run(src, "--format", "json"))
        kinds = {f["rule_id"]: (f["cost_kind"], f["cost_basis"]) for f in js["findings"]}
        assert kinds[saving_rule] == ("estimated saving", "estimated saving")
        assert kinds[bound_rule] == ("layer time", "layer time (upper bound)")
        text = _run(src)
        top = text.split("Top findings", 1)[1]
        assert "cost basis" in top.splitlines()[2]
        row = next(line for line in top.splitlines() if f" {bound_rule} " in line)
        assert row.rstrip().endswith("layer time (upper bound)")
        md = _run(src, "--format", "markdown")
        assert "| severity | rule | finding | cost ms | cost basis |" in md
        assert any(f"| {bound_rule} |" in line and line.endswith("| layer time (upper bound) |")
                   for line in md.splitlines())
        bundle = load(resnet_file("fp32", "graph.json").parent if src.startswith("sample:") else src)
        for html in (bundle_html(bundle), findings_html(lint(bundle))):   # Jupyter: the report, lint
            assert "cost basis</th>" in html and "layer time (upper bound)" in html


@pytest.mark.parametrize("width", [100, 120, 200])
def test_timing_table_names_the_columns_it_hides(width: int) -> None:
    """A batch-4 trtexec 10.16 log has 8 number columns (p90, p95, p99, mean/sample): rich used to drop
    mean/sample at the default width of 120 without a word while the title promised it (TRT-engineer review,
    session 8, defect 9). Now every column the title names is shown, and a column hidden to fit is named."""
    text = render_text(build_report(load(LOGS / "trt10.16-h100" / "result-03.log")), width=width)
    head = next(line for line in text.splitlines() if "mean/sample" in line
                and "median" in line)
    assert "mean/sample" in head and "median" in head and "p99" in head
    assert "0.00969115" in text            # GPU compute mean / 4
    shown = [c for c in ("min", "max", "p90", "p95") if f" {c} " in f" {head} "]
    hidden = [c for c in ("p95", "p90", "max", "min") if c not in shown]
    if hidden:
        assert f"hidden at this width: {', '.join(hidden)}" in text
    else:
        assert "hidden at this width" not in text
    assert max(len(line) for line in text.splitlines() if "0.00969115" in line) <= width

