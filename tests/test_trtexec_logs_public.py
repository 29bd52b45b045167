"""Every figure `trtinspect report` gives for a public trtexec log equals the number trtexec printed.

The logs are real output of TensorRT 8.0 to 11.0 on desktop, data-centre and Jetson GPUs, copied from public
repositories and issue threads (``tests/data/external/PROVENANCE.md``). The printed numbers are read here
from the raw text by a deliberately separate, plain reading of the summary lines (not the parser under test),
and each reported figure must equal its printed number exactly (both are the same decimal string); every
printed figure must also be reported. Failed runs must give one line and exit 2.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA

from trtinspect.cli import cli

EXT = DATA / "external"
QUOTED = EXT / "quoted"
FAILED = EXT / "failed"
SAMPLES = Path(__file__).resolve().parents[1] / "sample_engines" / "trtexec-logs"

# report JSON timing key -> the metric name trtexec prints
METRICS = {
    "latency_ms": "Latency",
    "end_to_end_ms": "End-to-End Host Latency",
    "enqueue_ms": "Enqueue Time",
    "h2d_ms": "H2D Latency",
    "compute_ms": "GPU Compute Time",
    "d2h_ms": "D2H Latency",
}
# each line with trtexec's log prefix ('[date] [I] '), or without it where an excerpt was pasted without it
SCALARS = {
    "throughput_qps": re.compile(r"(?:\] |^)Throughput: (\S+) qps$", re.M),
    "total_host_walltime_s": re.compile(r"(?:\] |^)Total Host Walltime: (\S+) s$", re.M),
    "total_gpu_compute_s": re.compile(r"(?:\] |^)Total GPU Compute Time: (\S+) s$", re.M),
}
_STAT_LINE = re.compile(r"(?:\] |^)(?P<metric>[A-Za-z0-9 \-]+): (?P<stats>min = .*)$", re.M)
_STAT = re.compile(r"(min|max|mean|median|percentile\((\d+(?:\.\d+)?)%\)) = (\S+) ms")


@dataclass(frozen=True)
class Case:
    """One public log (a file, or a folder holding the byte-exact head and tail slices of one log)."""

    target: str                     # relative to tests/data/external
    version: str | None             # None: the excerpt does not print it
    device: str | None
    precision: str | None
    transfers: bool = True          # False: the log says 'Data transfers: Disabled'
    profile_rows: int | None = None  # rows of a --dumpProfile table (Total row not counted)
    profile_iterations: int | None = None
    extra: dict[str, float] = field(default_factory=dict)  # hand-read figures pinned on top of the generic check

    @property
    def path(self) -> Path:
        return SAMPLES / self.target.removeprefix("sample:") if self.target.startswith("sample:") \
            else EXT / self.target

    def text(self) -> str:
        files = sorted(self.path.iterdir()) if self.path.is_dir() else [self.path]
        return "\n".join(f.read_text() for f in files)


CASES = [
    Case("trt8.0.3-gtx1070", "8.0.3", "NVIDIA GeForce GTX 1070", None,
         extra={"compute_ms.mean": 0.154466, "end_to_end_ms.p99": 0.304688, "throughput_qps": 6378.46}),
    Case("trt8.6.0-rtx3090", "8.6.0", "NVIDIA GeForce RTX 3090", None,
         extra={"compute_ms.p95": 0.0457764, "h2d_ms.max": 0.268066, "total_gpu_compute_s": 2.80377}),
    Case("trt10.14.1-rtx6000ada", "10.14.1", "NVIDIA RTX 6000 Ada Generation", "FP32",
         extra={"compute_ms.median": 0.0285645, "d2h_ms.p90": 0.00628662, "throughput_qps": 23188.6}),
    Case("trt11.0.0-b200", "11.0.0", "NVIDIA B200", "Strongly Typed", transfers=False,
         extra={"compute_ms.p99": 0.0413513, "enqueue_ms.min": 0.00195312, "throughput_qps": 23215.0}),
    # Jetson AGX Orin devkit, JetPack 6.0 DP (quoted; the excerpt stops after the Enqueue Time line)
    Case("quoted/orin-agx-jp6-summary.meta-tegra-community113.log", None, None, None,
         extra={"throughput_qps": 208.729, "latency_ms.p99": 4.85547, "enqueue_ms.p95": 0.372803}),
    Case("quoted/orin-trt10.16.2-device.meta-tegra2243.log", "10.16.2", "Orin", None),
    Case("quoted/xavier-nx-dla-trt7-header.issue1301.log", None, None, "FP32+FP16"),
    # TensorRT 7.x (no version printed), implicit batch 1, Caffe ResNet-50 INT8: Host Latency / Enqueue Time
    # (no mean, no percentile) / GPU Compute blocks
    Case("quoted/trt7-resnet50-int8-batch1.data-statistics.log", None, None, "FP32+INT8",
         extra={"compute_ms.mean": 55.2468, "end_to_end_ms.p99": 57.561, "enqueue_ms.median": 4.06059,
                "total_gpu_compute_s": 3.09382, "total_host_walltime_s": 3.09807, "throughput_qps": 18.0758}),
    # The logs the tests already had, now checked figure by figure too
    Case("trt8.2-gtx1070", "8.2.3", "NVIDIA GeForce GTX 1070", None),
    Case("quoted/xavier-agx-trt8.4.meta-tegra952.log", "8.4.0", None, None),
    Case("quoted/xavier-nx.meta-tegra1124.log", None, None, None),
    Case("quoted/trt10-multipercentile.issue4177.log", None, None, None),
    Case("quoted/trt7-host-latency.issue2054.log", None, None, None,
         extra={"throughput_qps": 0.0, "end_to_end_ms.mean": 3.00909}),   # trtexec printed "throughput: 0 qps"
    Case("quoted/xavier-agx-trt7-host-latency.hax-conn.log", None, None, None),
    Case("quoted/xavier-agx-dla-trt7.1.3.hax-conn.log", None, None, None, extra={"compute_ms.p99": 3.87695}),
    Case("sample:trt10.16-h100/result-01.log", "10.16.1", "NVIDIA H100 PCIe", "FP32"),
    Case("sample:trt10.16-h100/result-03.log", "10.16.1", "NVIDIA H100 PCIe", None, transfers=False),
    Case("sample:trt8.4/result-FP16.log", "8.4.1", "NVIDIA GeForce GTX 1070", "FP32+FP16"),
    Case("sample:trt8.4/result-loadAndInference.log", "8.4.1", "NVIDIA GeForce GTX 1070", None),
    # Jetson Xavier NX, JetPack 5.1: head of the log and its pre-8.6 --dumpProfile table (quoted, two excerpts)
    Case("xavier-nx-trt8.5.2-lprnet", "8.5.2", "Xavier", None, profile_rows=28, profile_iterations=309),
    # TensorRT 9.1 (v9100): one GPU Compute Time line and the PASSED line, no summary header (quoted)
    Case("quoted/trt9.1-gpu-compute.issue3364.log", "9.1.0", None, None,
         extra={"compute_ms.p99": 30.2909, "compute_ms.mean": 29.2394}),
    # Jetson AGX Orin, a thread about DLA engines (Nov 2022): 8.5+ summary of a 2.24 s/iteration run (quoted)
    Case("quoted/orin-dla-thread-summary.issue2426.log", None, None, None,
         extra={"throughput_qps": 0.406047, "compute_ms.p95": 2239.32, "total_host_walltime_s": 24.6277}),
    # TensorRT 10.4 (NGC pytorch:24.09), RTX 3060 Laptop GPU: device block and summary of one build+run
    # (H2D/D2H printed as 0; the excerpt does not include the option line saying why)
    Case("trt10.4-rtx3060laptop", None, "NVIDIA GeForce RTX 3060 Laptop GPU", None,
         extra={"throughput_qps": 1995.29, "compute_ms.median": 0.499023, "enqueue_ms.p99": 0.00390625,
                "h2d_ms.max": 0.0}),
    # trtexec before TensorRT 7.0 (TensorRT 5, May 2019, Caffe models, implicit batch): one 'Average over 500
    # runs' line each, the GPU time mean and p99 of one batch (whole files, Apache-2.0)
    # (the build precision from the echoed --int8 / --fp16 flags, none: FP32)
    Case("trt5-ai-matrix/t4-resnet50_16_int8.txt", None, None, "FP32+INT8",
         extra={"compute_ms.mean": 3.96139, "compute_ms.p99": 6.91373}),
    Case("trt5-ai-matrix/v100-resnet50_64_fp16.txt", None, None, "FP32+FP16", extra={"compute_ms.mean": 10.1428}),
    Case("trt5-ai-matrix/p4-googlenet_bvlc_32_fp32.txt", None, None, "FP32", extra={"compute_ms.p99": 28.432}),
    # Jetson AGX Orin DLA (INT8, --useDLACore=0 --allowGPUFallback): the DLA/GPU layer lists and the summary's
    # first lines of one run, as NVIDIA's DLA tutorial reprinted them (two excerpts in one file, MIT)
    Case("quoted/orin-dla-int8.jetson_dla_tutorial.log", None, None, None, extra={"throughput_qps": 649.723}),
    # TensorRT 10.3 (v100300): RUNNING line and option blocks of a --loadEngine run with plugins (quoted)
    Case("quoted/trt10.3-header.issue4099.log", "10.3.0", None, None),
    # TensorRT 10.7.0, RTX 4090 (the repository's README says so; the excerpt prints no device block):
    # --loadEngine --useCudaGraph --useSpinWait run of a Co-DETR FP16 engine with 3 aux streams, from the
    # version line to the last summary line (a slice of an Apache-2.0 README)
    Case("trt10.7-rtx4090-codetr", "10.7.0", None, None,
         extra={"throughput_qps": 32.7494, "compute_ms.median": 30.1722, "compute_ms.p95": 30.6002,
                "d2h_ms.min": 0.00390625, "total_gpu_compute_s": 3.05129}),
    # the same format on a Jetson Xavier (Jan 2020), dated with month 00 as that trtexec printed it (quoted)
    Case("quoted/xavier-pre7-average.retinanet-examples118.log", None, None, None,
         extra={"compute_ms.mean": 55.2518, "compute_ms.p99": 59.9569}),
    # TensorRT 10.16.0 (v101600 b72), RTX 6000 Ada: a --loadEngine run under `nsys profile` (a whole file: the log
    # ends with Nsight Systems' own lines, its progress bar redrawn with carriage returns, after &&&& PASSED)
    Case("trt10.16.0-rtx6000ada-nsys/result-02.log", "10.16.0", "NVIDIA RTX 6000 Ada Generation", None,
         extra={"throughput_qps": 9014.88, "compute_ms.p95": 0.163696, "h2d_ms.max": 1.08179,
                "total_gpu_compute_s": 1.45669}),
    # Jetson AGX Thor, JetPack 7.0, TensorRT 10.13.3 (said in the thread; the excerpt prints no version): the
    # summary header, Throughput and Latency, without the log prefix (quoted; no GPU Compute Time printed)
    Case("quoted/thor-trt10.13-summary.foundationstereo208.log", None, None, None,
         extra={"throughput_qps": 1.55139, "latency_ms.p99": 684.747, "latency_ms.median": 640.024}),
    # Jetson AGX Orin 32GB (said in the thread): Throughput, Latency and Enqueue Time lines only (quoted)
    Case("quoted/agx-orin-summary.igev-yolo8-8.log", None, None, None,
         extra={"throughput_qps": 12.9581, "latency_ms.p95": 76.446, "enqueue_ms.mean": 75.8652}),
    # Jetson Orin NX 16GB, TensorRT 10.3.0 (v100300): a --loadEngine --useCudaGraph run cut after the
    # 'Spin-wait' option line (quoted): no figures, so none reported
    Case("quoted/orin-nx-trt10.3-cudagraph-header.foundationstereo90.log", "10.3.0", None, None),
    # Jetson Nano (Tegra X1; said in the repository, not printed), TensorRT 8.2.1 (v8201, JetPack 4.6.x): the
    # 8.0-8.2 summary (End-to-End Host Latency, p99 only) and the PASSED line of a --best build (quoted)
    Case("quoted/jetson-nano-trt8.2.1-summary.studienarbeit.log", "8.2.1", None, None,
         extra={"throughput_qps": 72.2544, "end_to_end_ms.p99": 14.831, "compute_ms.median": 13.6698,
                "d2h_ms.min": 0.00830078, "total_gpu_compute_s": 2.99948}),
    # TensorRT 10.13.0 (v101300 b35), x86_64 Linux, GPU not stated: the trace, the full 10.x summary and the
    # PASSED line of a --bf16 build of a Qwen-Image DiT with dynamic shapes (a slice of an Apache-2.0 README)
    Case("trt10.13.0-qwen-image", "10.13.0", None, None,
         extra={"throughput_qps": 0.562059, "compute_ms.p90": 1672.56, "enqueue_ms.median": 1663.63,
                "h2d_ms.min": 0.631348, "total_host_walltime_s": 17.7917}),
]


_BLOCK7 = {"Host Latency": ("latency_ms", "end_to_end_ms"), "Enqueue Time": ("enqueue_ms", None),
           "GPU Compute": ("compute_ms", None)}
_LINE7 = re.compile(r"\[I\] (?P<stat>min|max|mean|median|percentile): (?P<v>\S+) ms(?: at (?P<pct>\d+)%)?"
                    r"(?: \(end to end (?P<e2e>\S+) ms(?: at \d+%)?\))?$")
_SCALAR7 = {"throughput": ("throughput_qps", " qps"), "walltime": ("total_host_walltime_s", " s"),
            "total compute time": ("total_gpu_compute_s", " s")}


def _printed7(text: str) -> dict[str, float]:
    """TensorRT 7.x summary blocks: a title line, then ``min: X ms (end to end Y ms)`` lines, as printed."""
    out: dict[str, float] = {}
    block: tuple[str, str | None] | None = None
    for line in text.splitlines():
        body = line.split("[I] ", 1)[-1]             # with or without the date prefix
        if body in _BLOCK7:
            block = _BLOCK7[body]
            continue
        name, _, value = body.partition(": ")
        if name in _SCALAR7:
            key, unit = _SCALAR7[name]
            out[key] = float(value.removesuffix(unit))
            continue
        m = _LINE7.search(line)
        if block is None or m is None:
            block = None if m is None else block
            continue
        stat = f"p{m.group('pct')}" if m.group("stat") == "percentile" else m.group("stat")
        out[f"{block[0]}.{stat}"] = float(m.group("v"))
        if m.group("e2e") and block[1]:
            out[f"{block[1]}.{stat}"] = float(m.group("e2e"))
    return out


_AVERAGE5 = re.compile(r"\] Average over \d+ runs is (\S+) ms \(host walltime is \S+ ms, (\d+)% percentile time "
                       r"is (\S+)\)\.$", re.M)


def _printed(text: str) -> dict[str, float]:
    """The last performance summary's figures, as printed: {"compute_ms.p99": 0.0413513, "throughput_qps": ...}."""
    before7 = _AVERAGE5.findall(text)    # before TensorRT 7.0: the last 'Average over N runs' line
    if before7:
        mean, pct, value = before7[-1]
        return {"compute_ms.mean": float(mean), f"compute_ms.p{pct}": float(value)}
    start = text.rfind("=== Performance summary ===")
    if start < 0 and re.search(r"\[I\] (?:Host Latency|GPU Compute)$", text, re.M):
        return _printed7(text)
    block = text[max(start, 0):]                    # an excerpt without the header: its summary lines
    names = {v: k for k, v in METRICS.items()}
    out: dict[str, float] = {}
    for m in _STAT_LINE.finditer(block):
        key = names.get(m.group("metric"))
        if key is None:
            continue
        for stat, pct, value in _STAT.findall(m.group("stats")):
            name = f"p{pct}" if pct else stat
            out[f"{key}.{name}"] = float(value)
    for key, pattern in SCALARS.items():
        found = pattern.findall(block)
        if found:
            out[key] = float(found[-1])
    return out


_PROFILE_TITLE = re.compile(r"=== Profile \((\d+) iterations \) ===")
_OLD_ROW = re.compile(r"\[I\] +(?P<name>\S.*?) +(\d+\.\d+) +(?P<avg>\d+\.\d+) +(\d+\.\d+) +(\d+\.\d+)$", re.M)


def _printed_profile(text: str) -> tuple[int, dict[str, float], float]:
    """(iterations, {layer: printed average ms}, Total row's average) of a pre-8.6 table with a median column."""
    title = _PROFILE_TITLE.search(text)
    assert title is not None
    rows = {m.group("name"): float(m.group("avg")) for m in _OLD_ROW.finditer(text[title.end():])}
    total = rows.pop("Total")
    return int(title.group(1)), rows, total


def _reported(timing: dict) -> dict[str, float]:  # type: ignore[type-arg]
    out: dict[str, float] = {}
    for key in METRICS:
        block = timing.get(key) or {}
        for stat in ("min", "max", "mean", "median"):
            if block.get(stat) is not None:
                out[f"{key}.{stat}"] = block[stat]
        for pct, value in (block.get("percentiles") or {}).items():
            if value is not None:
                out[f"{key}.{pct}"] = value
    for key in SCALARS:
        if timing.get(key) is not None:
            out[key] = timing[key]
    return out


def _main(argv: list[str]) -> tuple[int, str, str]:
    """The real entry point in-process (it maps TrtInspectError to one line on stderr and exit 2)."""
    import contextlib
    import io

    from trtinspect.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _report(target: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["report", str(target), "--format", "json"])
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=[c.target for c in CASES])
def test_every_reported_figure_is_the_printed_one(case: Case) -> None:
    code, output = _report(case.path)
    assert code == 0, output
    report = json.loads(output)
    text = case.text()
    printed, reported = _printed(text), _reported(report["timing"])
    if not case.transfers:
        # trtexec prints 0 for H2D/D2H when transfers are off; the report says "not measured" instead.
        assert "Data transfers: Disabled" in text
        for key in ("h2d_ms", "d2h_ms"):
            assert report["timing"][key]["unmeasured"] == "not measured (data transfers disabled)"
            assert all(v == 0 for k, v in printed.items() if k.startswith(key))
            printed = {k: v for k, v in printed.items() if not k.startswith(key)}
    assert reported == printed                       # every figure reported, each exactly as printed
    for key, value in case.extra.items():            # and the hand-read ones, as a check on the reading above
        assert printed[key] == value, key
    assert report["trt_version"] == case.version
    assert report["device"]["name"] == case.device
    assert report["build_precision"] == case.precision
    if case.profile_rows is not None:
        iterations, rows, total_avg = _printed_profile(text)
        layers = report["layers"]
        assert (layers["profile_rows"], layers["profile_iterations"]) == (case.profile_rows, iterations)
        assert len(rows) == case.profile_rows and iterations == case.profile_iterations
        for top in report["top_layers"]:   # the ten slowest, each at its printed average, and its time share of
            assert top["printed_avg_ms"] == rows[top["name"]], top   # the total (trtexec's Time % rule): within
            assert abs(top["avg_ms"] - rows[top["name"]]) <= 0.00005 + 0.005 / iterations, top   # both roundings
        assert round(layers["total_layer_ms"], 4) == total_avg
    if case.device:
        assert f"Selected Device: {case.device}" in text
    if case.precision and "Average over" in text:   # before TensorRT 7.0: the echoed flags (none: FP32)
        flags = {"FP32": "", "FP32+INT8": "\n[I] int8\n", "FP32+FP16": "\n[I] fp16\n"}[case.precision]
        assert flags in text and ("[I] int8" in text) == ("INT8" in case.precision)
    elif case.precision:
        assert f"Precision: {case.precision}" in text


def test_trt80_integer_version_line() -> None:
    """TensorRT 8.0 prints ``TensorRT version: 8003``; read as 8.0.3 even without the ``&&&&`` token."""
    from trtinspect.parsers.trtexec_log import parse_trtexec_text

    head = (EXT / "trt8.0.3-gtx1070" / "result-load-FP32.head.txt").read_text()
    assert "TensorRT version: 8003\n" in head
    without_token = "\n".join(ln for ln in head.splitlines() if not ln.startswith("&&&&")) + "\n"
    log = parse_trtexec_text(without_token)
    assert log.trt_version == "8.0.3" and log.version_token is None


def test_skip_inference_build_log_has_no_figures() -> None:
    """TensorRT 11.0 build with --skipInference: version, device, precision; no invented timing."""
    code, output = _report(EXT / "trt11.0.0-b200" / "result-09.log")
    assert code == 0, output
    report = json.loads(output)
    assert (report["trt_version"], report["device"]["name"]) == ("11.0.0", "NVIDIA B200")
    assert report["build_precision"] == "Strongly Typed"
    assert _reported(report["timing"]) == {}
    assert any("--skipInference" in n for n in report["notes"])
    assert report["timing"]["inference_skipped"] is True
    # text and Markdown: said as a build-only run, no empty timing table, no "data transfers disabled"
    for fmt in ("text", "markdown"):
        result = CliRunner().invoke(cli, ["report", str(EXT / "trt11.0.0-b200" / "result-09.log"), "--format", fmt])
        text = result.output
        assert result.exit_code == 0, text
        assert "no inference was run (--skipInference): build only" in text
        assert "Timing per iteration" not in text and "data transfers disabled" not in text


def test_pre7_format_says_what_the_figures_are() -> None:
    """'Average over N runs is X ms (host walltime is Y ms, 99% percentile time is Z).' (TensorRT 5/6): X and Z
    are GPU times of one batch; the host walltime mean is quoted in a note, not put in a column it is not."""
    path = EXT / "trt5-ai-matrix" / "t4-resnet50_16_int8.txt"
    code, output = _report(path)
    assert code == 0, output
    report = json.loads(output)
    note = next(n for n in report["notes"] if "before TensorRT 7.0" in n)
    assert "group of 500 runs" in note and "4.03943 ms" in note
    assert report["timing"]["latency_ms"]["mean"] is None and report["timing"]["end_to_end_ms"]["mean"] is None
    result = CliRunner().invoke(cli, ["report", str(path), "--format", "markdown", "--no-lint"])
    assert result.exit_code == 0 and "3.96139" in result.output and "6.91373" in result.output


def test_check_says_a_pre7_log_has_no_median() -> None:
    """check compares printed medians; a pre-7.0 log prints a mean and a p99 only. It said 'holds no timing
    data (no per-iteration times, summary or profile)', which was untrue: it has a summary, without a median."""
    base, cand = (EXT / "trt5-ai-matrix" / n for n in ("t4-resnet50_16_int8.txt", "v100-resnet50_64_fp16.txt"))
    code, out, err = _main(["check", "--baseline", str(base), "--candidate", str(cand)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "no GPU Compute Time median" in err and "3.96139 ms" in err and "Traceback" not in err


def test_check_says_a_trt7_host_latency_summary_has_no_gpu_compute(tmp_path: Path) -> None:
    """The #2054 excerpt (TensorRT 7.x) prints the 'Host Latency' block only, and trace lines of 'GPU latency'
    averages over 10 runs. check said it 'holds no timing data (no ... summary ...)', which was untrue: it has
    a summary, of host latency only. Host latency includes the copies (not the GPU time check judges) and a
    10-run average has no median, so check refuses it and says exactly that."""
    base, cand = tmp_path / "t7a.log", tmp_path / "t7b.log"
    for p in (base, cand):
        p.write_bytes((QUOTED / "trt7-host-latency.issue2054.log").read_bytes())
    code, out, err = _main(["check", "--baseline", str(base), "--candidate", str(cand)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "baseline run 't7a' has no GPU compute time to compare" in err
    assert "Latency, End-to-End Host Latency, Throughput, Total Host Walltime but no GPU Compute Time" in err
    assert "holds no timing data" not in err and "Traceback" not in err


def test_a_throughput_only_summary_is_shown_in_text_and_markdown() -> None:
    """The DLA tutorial's excerpt prints only 'Throughput: 649.723 qps': JSON had it, text and Markdown dropped
    it (the timing line was shown only with per-iteration statistics)."""
    path = QUOTED / "orin-dla-int8.jetson_dla_tutorial.log"
    for fmt in ("text", "markdown"):
        result = CliRunner().invoke(cli, ["report", str(path), "--format", fmt, "--no-lint"])
        assert result.exit_code == 0, result.output
        assert "trtexec performance summary; throughput 649.723 qps" in result.output, fmt


def test_another_tensorrt_programs_output_is_not_a_trtexec_log() -> None:
    """'&&&& RUNNING TensorRT.sample_ssd' (a TensorRT sample, not trtexec) was an empty report with exit 0."""
    path = EXT / "wrong-kind" / "v100-sample_ssd-vgg16_16_fp16.stdout"
    assert path.read_text().startswith("&&&& RUNNING TensorRT.sample_ssd")
    code, out, err = _main(["report", str(path)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert path.name in err and "TensorRT.sample_ssd" in err and "Traceback" not in err


FAILED_CASES = sorted(p.name for p in FAILED.glob("*.log"))


@pytest.mark.parametrize("name", FAILED_CASES)
def test_failed_run_is_one_line_exit_2(name: str) -> None:
    """A run trtexec reported as FAILED is refused with one line naming the file and the first error."""
    path = FAILED / name
    text = path.read_text()
    assert "&&&& FAILED TensorRT.trtexec" in text
    code, out, err = _main(["report", str(path)])
    assert code == 2 and out == "", (code, out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert name in lines[0] and "FAILED" in lines[0] and "first error" in lines[0]
    first_error = next(ln for ln in text.splitlines() if "] [E] " in ln).split("] [E] ", 1)[1]
    assert " ".join(first_error.replace("[TRT] ", "", 1).split())[:60] in lines[0]


def test_folder_of_failed_runs_is_refused() -> None:
    """A folder holding only failed runs is not an engine either: one line, exit 2 (it was an empty report)."""
    code, out, err = _main(["report", str(FAILED)])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, out, err)
    assert "FAILED" in err and "Traceback" not in err


def test_jetson_device_blocks_and_dla_option() -> None:
    """Jetson AGX Orin (TensorRT 10.16.2) device block and a 7.x Xavier NX DLA header, as printed."""
    from trtinspect.parsers.trtexec_log import parse_trtexec_log

    orin = parse_trtexec_log(QUOTED / "orin-trt10.16.2-device.meta-tegra2243.log")
    assert (orin.device["name"], orin.device["compute_capability"], orin.device["sms"]) == ("Orin", "8.7", 8)
    assert orin.device["global_memory_mib"] == 15536 and orin.device["compute_clock_ghz"] == 1.173
    dla = parse_trtexec_log(QUOTED / "xavier-nx-dla-trt7-header.issue1301.log")
    assert dla.system_options["DLACore"] == "0(With GPU fallback)"
    assert dla.version_token is None and dla.trt_version is None      # 7.x prints no version token
    assert dla.command is not None and "--useDLACore=0" in dla.command
