"""`diff` of trtexec logs with only the performance summary (no per-layer profile, no layer information).

New-user trial: `trtinspect diff before.summary.log after.summary.log` exited 2 ("has no layer information to
align"). It now compares the figures trtexec printed, end to end, says that per-layer comparison is not
possible, and exits 0. Real logs: sample_engines/trtexec-logs (provenance in sample_engines/PROVENANCE.md).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import LOGS, run_cli

import trtinspect
from trtinspect.inspector.diff import MODE_END_TO_END, diff

SEED = LOGS / "seed-fx-vs-implicit-int8"
BEFORE, AFTER = SEED / "fx-qdq-int8.before-fix.summary.log", SEED / "fx-qdq-int8.after-fix.summary.log"
METRICS = {"latency": "Latency", "h2d": "H2D Latency", "gpu_compute": "GPU Compute Time",
           "d2h": "D2H Latency", "enqueue": "Enqueue Time", "end_to_end_host": "End-to-End Host Latency"}


def _printed(log: Path) -> tuple[dict[str, float], float]:
    """The means and the throughput trtexec printed, read straight from the log text (not by trtinspect)."""
    text = log.read_text()
    means = {key: float(m.group(1)) for key, name in METRICS.items()
             if (m := re.search(rf"^{re.escape(name)}: min = .*?mean = ([0-9.]+) ms", text, re.M))}
    qps = re.search(r"^Throughput: ([0-9.]+) qps", text, re.M)
    assert qps is not None
    return means, float(qps.group(1))


def test_summary_only_logs_are_compared_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["diff", str(BEFORE), str(AFTER), "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["alignment_mode"] == MODE_END_TO_END
    assert doc["groups"] == [] and doc["by_type"] == [] and doc["structural_similarity"] is None
    (a_means, a_qps), (b_means, b_qps) = _printed(BEFORE), _printed(AFTER)
    rows = {r["metric"]: r for r in doc["end_to_end"]}
    assert set(rows) == set(a_means) == set(METRICS)       # every figure trtexec printed, exactly
    for key in METRICS:
        assert (rows[key]["a_ms"], rows[key]["b_ms"]) == (a_means[key], b_means[key])
        assert rows[key]["source"] == "performance summary (mean)"
    assert (doc["totals"]["a_throughput_qps"], doc["totals"]["b_throughput_qps"]) == (a_qps, b_qps)
    head = doc["headline"]
    assert head.startswith(f"B ({AFTER.stem}) is 0.565 ms faster than A ({BEFORE.stem}) end to end, 14.8% of A's "
                           "GPU compute (mean per iteration: 3.816 -> 3.251 ms); throughput 260.926 -> 305.313 qps "
                           "(+17.0% of A's).")
    assert "Per-layer comparison is not possible" in head
    assert "cannot tell whether A and B are builds of the same network" in doc["summary"]


@pytest.mark.parametrize("columns", [80, 120])
def test_summary_only_text_and_markdown(columns: int, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = run_cli(["diff", str(BEFORE), str(AFTER)], capsys)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns
    flat = " ".join(out.split())     # prose wraps at the width
    assert "Per-layer comparison is not possible" in flat and "End to end (ms, mean per iteration)" in out
    assert "throughput (trtexec's Throughput line, qps): A 260.926, B 305.313" in flat
    assert "Changed groups" not in out and "Time by layer type" not in out      # nothing per layer to show
    code, md, _ = run_cli(["diff", str(BEFORE), str(AFTER), "--format", "markdown"], capsys)
    assert code == 0 and "| gpu\\_compute | 3.8157 | 3.2511 | -0.5646 |" in md


def test_summary_only_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.html"
    code, _, err = run_cli(["diff", str(BEFORE), str(AFTER), "--format", "html", "-o", str(out)], capsys)
    assert code == 0, err
    page = out.read_text()
    assert "Per-layer comparison is not possible" in page and page.count("<table") == 1


def test_one_side_with_layers_one_summary_only() -> None:
    """A log with layer information against a summary-only log of the same model: end to end as well."""
    a = trtinspect.load(LOGS / "trt8.4" / "result-FP16.log")
    b = trtinspect.load(LOGS / "trt8.4" / "result-loadAndInference.log")
    assert not a.layers.empty and b.layers.empty
    r = diff(a, b)
    assert r.mode == MODE_END_TO_END and r.groups.empty
    assert "B (result-loadAndInference) has no layer information" in r.headline
    assert len(r.notes) == 1 and r.notes[0].startswith("B (result-loadAndInference) has no layer information")
