# ruff: noqa: E501  (log text transcribed verbatim; lines are as long as trtexec printed them)
"""Issue 12: what the CLI shows from trtexec logs agrees with the text trtexec printed.

Names-only ``--dumpLayerInfo``, 7.x summary excerpts accepted by the CLI as by the library, per-layer totals
from the ``--dumpProfile`` table's ``Total`` row, every printed summary figure in the report, per-iteration vs
per-sample labels, numeric strings in exported JSON.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from trtinspect.cli import main
from trtinspect.parsers.bundle import load
from trtinspect.parsers.sniff import detect_kind
from trtinspect.parsers.trtexec_log import looks_json, looks_like_trtexec_log, parse_trtexec_text


def _report(*args: str) -> tuple[int, str]:
    """`trtinspect report ARGS` through the console entry point (errors -> one line on stderr, exit 2)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["report", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


# ---- TensorRT 7.x excerpts: what the library parses, the CLI accepts -------------------------------------

# Transcribed from https://github.com/NVIDIA/TensorRT/issues/1221 (TensorRT 7.x, GTX 1080 Ti), the part of the
# log shown in the thread from 'walltime:' on (the Host Latency block above it is not part of this excerpt;
# trailing padding spaces removed).
TRT7_EXCERPT_1221 = """\
[04/30/2021-08:54:18] [I] walltime: 5.67147 s
[04/30/2021-08:54:18] [I] Enqueue Time
[04/30/2021-08:54:18] [I] min: 1.9541 ms
[04/30/2021-08:54:18] [I] max: 8.28448 ms
[04/30/2021-08:54:18] [I] median: 4.74475 ms
[04/30/2021-08:54:18] [I] GPU Compute
[04/30/2021-08:54:18] [I] min: 564.432 ms
[04/30/2021-08:54:18] [I] max: 569.332 ms
[04/30/2021-08:54:18] [I] mean: 567.144 ms
[04/30/2021-08:54:18] [I] median: 567.073 ms
"""


def test_trt7_excerpt_parses_and_the_cli_accepts_it(tmp_path: Path) -> None:
    log = parse_trtexec_text(TRT7_EXCERPT_1221)
    assert log.summary_value("Total Host Walltime", "value") == 5.67147     # walltime: -> Total Host Walltime
    assert log.summary_value("GPU Compute Time", "mean") == 567.144
    assert log.summary_value("Enqueue Time", "median") == 4.74475
    assert looks_like_trtexec_log(TRT7_EXCERPT_1221)
    path = tmp_path / "trt7-excerpt.log"
    path.write_text(TRT7_EXCERPT_1221)
    assert detect_kind(path) == "trtexec_log"
    code, out = _report(str(path))
    assert code == 0, out
    for printed in ("5.67147", "564.432", "569.332", "567.144", "567.073", "1.9541", "8.28448", "4.74475"):
        assert printed in out, printed


def test_a_lone_7x_value_line_is_not_a_log(tmp_path: Path) -> None:
    """'walltime: 3 s' alone says too little: the 7.x value lines count only next to a 7.x block."""
    text = "run 1\nwalltime: 3.2 s\nthroughput: 10 qps\n"
    assert not looks_like_trtexec_log(text)
    path = tmp_path / "notes.txt"
    path.write_text(text)
    code, out = _report(str(path))
    assert code == 2 and out.count("\n") == 1, out


# ---- names-only --dumpLayerInfo ---------------------------------------------------------------------------

# The message is TensorRT's own text, as printed by trtexec 8.4+ (the same text appears in a public
# ROS launch log quoting '[I] [TRT] The profiling verbosity was set to ...'). The layer names below are an
# EXCERPT-SHAPED TEST STRING (names of the real 10.16 engine in sample_engines/trtexec-logs/trt10.16-h100),
# not a captured names-only log: no real one is in tests/data yet.
NAMES_ONLY_DUMP = """\
[07/07/2026-02:11:38] [I] Layer Information:
[07/07/2026-02:11:38] [I] [TRT] The profiling verbosity was set to ProfilingVerbosity::kLAYER_NAMES_ONLY when the engine was built, so only the layer names will be returned. Rebuild the engine with ProfilingVerbosity::kDETAILED to get more verbose layer information.
[07/07/2026-02:11:38] [I] Layers:
node_conv2d + node_relu
node_max_pool2d
node_conv2d_1 + node_relu_1
node_max_pool2d_1

Bindings:
x
y
[07/07/2026-02:11:38] [I] Skipped inference phase since --skipInference is added.
"""


def test_names_only_dump_layer_info_gives_the_names(tmp_path: Path) -> None:
    log = parse_trtexec_text(NAMES_ONLY_DUMP)
    assert log.layer_records_source == "dumpLayerInfo"
    assert [r["Name"] for r in log.layer_records or []] == [
        "node_conv2d + node_relu", "node_max_pool2d", "node_conv2d_1 + node_relu_1", "node_max_pool2d_1"]
    assert any("kLAYER_NAMES_ONLY" in n for n in log.notes)
    path = tmp_path / "names-only.log"
    path.write_text(NAMES_ONLY_DUMP)
    bundle = load(path)
    assert len(bundle.layers) == 4 and not bundle.detailed
    code, out = _report(str(path))
    assert code == 0 and "4 (names only)" in out, out


def test_names_only_message_without_prefix() -> None:
    """The same dump pasted without the log prefix (an excerpt) reads the same."""
    import re

    bare = re.sub(r"^\[[^\]]*\] \[I\] (?:\[TRT\] )?", "", NAMES_ONLY_DUMP, flags=re.M)
    log = parse_trtexec_text(bare)
    assert len(log.layer_records or []) == 4


# ---- the report shows every figure of trtexec's printed summary, as printed --------------------------------

REPO = Path(__file__).resolve().parent.parent
TEXT_LOG_FIXTURES = sorted(
    p for root in (REPO / "sample_engines" / "trtexec-logs", REPO / "tests" / "data" / "external")
    for p in root.rglob("*") if p.suffix in (".log", ".txt") and p.is_file()
    and not looks_json(p.read_text(errors="replace")[:4096])
)
ROW_LABEL = {"H2D Latency": "H2D", "GPU Compute Time": "GPU compute", "D2H Latency": "D2H",
             "Latency": "Latency (H2D+compute+D2H)", "End-to-End Host Latency": "End-to-end host",
             "Enqueue Time": "Enqueue"}
STAT_LINE = re.compile(r"(?:\] |^)(?P<metric>H2D Latency|GPU Compute Time|D2H Latency|Latency|"
                       r"End-to-End Host Latency|Enqueue Time): (?P<stats>min = .*)$", re.M)
STAT = re.compile(r"(?P<stat>min|max|mean|median|percentile\((?P<p>[\d.]+)%\)) = (?P<v>\S+) ms")


def _printed_summary(text: str) -> dict[str, list[tuple[str, str]]]:
    """The last printed 8.0+ summary, read straight from the text: metric -> [(stat, printed string)]."""
    text = text[text.rfind("=== Performance summary ==="):] if "=== Performance summary ===" in text else text
    out: dict[str, list[tuple[str, str]]] = {}
    for m in STAT_LINE.finditer(text):
        out[m.group("metric")] = [((s.group("p") and f"p{s.group('p')}") or s.group("stat"), s.group("v"))
                                  for s in STAT.finditer(m.group("stats"))]
    return out


SUMMARY_LOGS = [p for p in TEXT_LOG_FIXTURES if _printed_summary(p.read_text(errors="replace"))]


def test_summary_fixtures_found() -> None:
    assert len(SUMMARY_LOGS) >= 10, SUMMARY_LOGS


@pytest.mark.parametrize("path", SUMMARY_LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_report_prints_trtexecs_figures(path: Path) -> None:
    text = path.read_text(errors="replace")
    printed = _printed_summary(text)
    code, out = _report(str(path), "--format", "markdown", "--no-lint")
    assert code == 0, out
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| |")}
    header = next(line for line in out.splitlines() if line.startswith("|  | min | max"))
    columns = [c.strip() for c in header.strip().strip("|").split("|")[1:]]
    # data transfers off: said by the options block, or TensorRT 11's default (an 11.x command line without
    # --includeDataTransfers; trtexec then prints zeros for H2D/D2H): shown as not measured, with the reason
    transfers_off = "Data transfers: Disabled" in text or (
        re.search(r"\[TensorRT v11\d{4}\]", text) is not None and "--includeDataTransfers" not in text)
    for metric, stats in printed.items():
        label = ROW_LABEL[metric]
        if metric in ("H2D Latency", "D2H Latency") and transfers_off:
            assert rows[label][0] == "not measured" and "not measured (data transfers disabled)" in out
            continue
        cells = dict(zip(columns, rows[label], strict=False))
        for stat, value in stats:
            assert cells[stat] == value, (metric, stat, cells[stat], value)
    for name, unit in (("Throughput", "qps"), ("Total Host Walltime", "s"), ("Total GPU Compute Time", "s")):
        m = re.findall(rf"{name}: (\S+) {unit}\b", text)
        if m:
            assert f" {m[-1]} {unit}" in out, (name, m[-1])


def _markdown_table(out: str) -> tuple[list[str], dict[str, list[str]]]:
    header = next(line for line in out.splitlines() if line.startswith("|  | min | max"))
    columns = [c.strip() for c in header.strip().strip("|").split("|")[1:]]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
            for line in out.splitlines() if line.startswith("| ") and not line.startswith("| |")}
    return columns, rows


BLOCK7 = {"Host Latency": "Latency (H2D+compute+D2H)", "GPU Compute": "GPU compute", "Enqueue Time": "Enqueue"}
LINE7 = re.compile(r"(?:\] |^)(?P<stat>min|max|mean|median|percentile): (?P<v>\S+) ms(?: at (?P<p>[\d.]+)%)?"
                   r"(?: \(end to end (?P<e2e>\S+) ms)?")


def _printed_summary7(text: str) -> dict[str, dict[str, str]]:
    """TensorRT 7.x blocks read straight from the text: row label -> {stat: printed string}."""
    out: dict[str, dict[str, str]] = {}
    block = None
    for line in text.splitlines():
        body = re.sub(r"^(?:\[[^\]]*\] )*", "", line).strip()
        if body in BLOCK7:
            block = BLOCK7[body]
            continue
        m = LINE7.match(body)
        if block is None or m is None:
            continue
        stat = f"p{m.group('p')}" if m.group("stat") == "percentile" else m.group("stat")
        out.setdefault(block, {})[stat] = m.group("v")
        if m.group("e2e"):
            out.setdefault("End-to-end host", {})[stat] = m.group("e2e")
    return out


SUMMARY7_LOGS = [p for p in TEXT_LOG_FIXTURES if _printed_summary7(p.read_text(errors="replace"))]


@pytest.mark.parametrize("path", SUMMARY7_LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_report_prints_trtexec7_figures(path: Path) -> None:
    """TensorRT 7.x 'Host Latency' / 'GPU Compute' blocks: every printed figure is in the report's table."""
    text = path.read_text(errors="replace")
    code, out = _report(str(path), "--format", "markdown", "--no-lint")
    assert code == 0, out
    columns, rows = _markdown_table(out)
    for label, stats in _printed_summary7(text).items():
        cells = dict(zip(columns, rows[label], strict=False))
        for stat, value in stats.items():
            assert cells[stat] == value, (label, stat, cells[stat], value)
    for key, unit in (("throughput", "qps"), ("walltime", "s"), ("total compute time", "s")):
        m = re.findall(rf"\] {key}: (\S+) {unit}\b", text)
        if m:
            assert f" {m[-1]} {unit}" in out, (key, m[-1])


def test_trtexec7_fixtures_found() -> None:
    assert len(SUMMARY7_LOGS) >= 3, SUMMARY7_LOGS


# ---- per-layer totals: the --dumpProfile table's Total row and run count, not summed rounded averages ----

TOTAL_NEW = re.compile(r"(?:\] |^)\s*(?P<time>[\d.]+)\s+(?P<avg>[\d.]+)\s+(?:[\d.]+\s+)?100\.0\s+Total\s*$", re.M)
TOTAL_OLD = re.compile(r"(?:\] |^)\s*Total\s+(?P<time>[\d.]+)\s+(?P<avg>[\d.]+)(?:\s+[\d.]+)?\s+100\.0\s*$", re.M)
PROFILE_TITLE = re.compile(r"=== Profile \((?P<n>\d+) iterations")
PROFILE_LOGS = [p for p in TEXT_LOG_FIXTURES if parse_trtexec_text(p.read_text(errors="replace")).profile.shape[0]
                if looks_like_trtexec_log(p.read_text(errors="replace"))]


def test_profile_fixtures_found() -> None:
    assert len(PROFILE_LOGS) >= 6, PROFILE_LOGS


@pytest.mark.parametrize("path", PROFILE_LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_layer_total_is_the_printed_total_row(path: Path) -> None:
    """The per-layer total is the Total row's time / the printed run count (or its printed average), and
    rounds to the average trtexec printed; each layer's share is trtexec's Time % as printed."""
    text = path.read_text(errors="replace")
    code, out = _report(str(path), "--format", "json", "--top", "1000", "--no-lint")
    assert code == 0, out
    report = json.loads(out)
    lay = report["layers"]
    total = [*TOTAL_NEW.finditer(text), *TOTAL_OLD.finditer(text)]
    runs = PROFILE_TITLE.findall(text)
    log = parse_trtexec_text(text)
    if not total:   # a table without its Total row: over the printed count, the engine total its Time % implies
        assert runs and "no Total row" in lay["total_basis"]
        rows_time, pct = log.profile["time_ms"].sum(), log.profile["percentage"].sum()
        engine_time = rows_time / (pct / 100.0) if pct < 99.0 else rows_time
        assert lay["total_layer_ms"] == pytest.approx(engine_time / int(runs[-1]), rel=1e-12)
        printed_pct = dict(zip(log.profile["name"], log.profile["percentage"], strict=True))
        for row in report["top_layers"]:
            assert f"{row['share_pct']:.1f}" == f"{printed_pct[row['name']]:.1f}", row
        return
    time, avg = total[-1].group("time"), total[-1].group("avg")
    decimals = len(avg.split(".")[1])
    if runs:
        assert lay["total_layer_ms"] == pytest.approx(float(time) / int(runs[-1]), rel=1e-12)
        assert f"{time} ms over {runs[-1]} iterations" in lay["total_basis"]
    else:
        assert lay["total_layer_ms"] == float(avg) and "iteration count was not printed" in lay["total_basis"]
    assert f"{lay['total_layer_ms']:.{decimals}f}" == avg          # rounds to what trtexec printed
    printed_pct = dict(zip(log.profile["name"], log.profile["percentage"], strict=True))
    for row in report["top_layers"]:
        assert f"{row['share_pct']:.1f}" == f"{printed_pct[row['name']]:.1f}", row


def test_fx_excerpt_total_is_the_total_row_not_the_rows() -> None:
    """The torch.fx profile is an excerpt: its 28 rows hold 1042.01 of the Total row's 2464.87 ms."""
    path = REPO / "sample_engines/trtexec-logs/seed-fx-vs-implicit-int8/fx-qdq-int8.profile.log"
    code, out = _report(str(path), "--format", "json", "--no-lint")
    assert code == 0, out
    lay = json.loads(out)["layers"]
    assert lay["total_layer_ms"] == 3.8038                     # the printed Total average, not 2464.87 / 649.1
    # the rows' time share of the printed total (not their printed averages summed, 1.6081); the rest in no row
    assert lay["rows_avg_ms"] == pytest.approx(3.8038 * 1042.01 / 2464.87, rel=1e-12)
    assert lay["not_in_table_ms"] == pytest.approx(3.8038 * (1 - 1042.01 / 2464.87), rel=1e-9)
    assert lay["rows_avg_ms"] + lay["not_in_table_ms"] == pytest.approx(3.8038, rel=1e-12)
    by_type = json.loads(out)["by_type"]
    assert by_type[-1]["layer_type"].startswith("(in the engine total") and f"{by_type[-1]['share_pct']:.2f}" == "57.73"
    _, text = _report(str(path), "--no-lint")
    assert "per-layer total 3.8038 ms/iter" in text and "an excerpt" in text


def test_export_profile_total_is_the_summed_averages() -> None:
    """--exportProfile JSON has no Total row: the averages (6 significant digits) are summed, said so."""
    bundle = load(REPO / "sample_engines/resnet18-a100/fp16")
    total = bundle.layer_total
    assert total.ms == pytest.approx(float(bundle.profile["avg_ms"].sum()), rel=1e-12)
    assert total.basis == "sum of the 36 layers' average times (count 1)"


# ---- numbers written as strings in exported JSON: refused, one line, exit 2 ------------------------------

TIMES_FIXTURES = sorted({*(REPO / "sample_engines").rglob("*.timing.json"), *(REPO / "tests/data").rglob("*.timing.json")})
PROFILE_FIXTURES = sorted({*(REPO / "sample_engines").rglob("*.profile.json"),
                           *(REPO / "tests/data").rglob("*.profile.json")})


def test_trtexec_writes_numbers() -> None:
    """Every real --exportTimes / --exportProfile file holds JSON numbers, never numeric strings: trtexec
    writes them with `os << value` (sampleReporting.cpp), so a string is not trtexec's output."""
    assert len(TIMES_FIXTURES) >= 10 and len(PROFILE_FIXTURES) >= 10
    for path in [*TIMES_FIXTURES, *PROFILE_FIXTURES]:
        for record in json.loads(path.read_text()):
            for key, value in record.items():
                if key != "name":
                    assert isinstance(value, (int, float)) and not isinstance(value, bool), (path, key, value)


@pytest.mark.parametrize(("kind", "key"), [("timing", "computeMs"), ("timing", "startComputeMs"),
                                           ("profile", "averageMs"), ("profile", "timeMs")])
def test_numeric_strings_are_refused_with_one_line(tmp_path: Path, kind: str, key: str) -> None:
    src = REPO / "sample_engines/resnet18-a100/fp32" / f"resnet.onnx.engine.{kind}.json"
    records = json.loads(src.read_text())
    records[2][key] = "0.35"
    bad = tmp_path / f"resnet.onnx.engine.{kind}.json"
    bad.write_text(json.dumps(records))
    code, out = _report(str(bad))
    assert code == 2 and out.count("\n") == 1, out
    assert str(bad) in out and f"{key} is '0.35', not a number" in out and "record 2" in out
