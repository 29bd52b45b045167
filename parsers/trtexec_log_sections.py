"""Line-level readers for the parts of a trtexec log: prefixes, summaries, profile tables, device, warnings.

Every rule is declared as data (regexes and mapping tables) so a new trtexec wording is a one-line change.
All functions take one line (prefix already removed) and return plain Python values; the state machine that
decides which reader applies lives in :mod:`trtinspect.parsers.trtexec_log`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUM = r"(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|[-+]?nan)"   # glibc prints NaN as nan or -nan

# ``[07/07/2026-02:10:45] [I] [TRT] body``; the date part and the ``[TRT]`` tag are optional. One space after
# the severity tag belongs to the prefix; further indentation is part of the body (warning continuations).
PREFIX = re.compile(
    r"^(?:\[(?P<date>[0-9][^\]]{5,40})\]\s*)?\[(?P<sev>[VIWEF])\](?: |$)(?P<trt>\[TRT\] ?)?(?P<body>.*)$"
)
SEVERITY = {"V": "V", "I": "I", "W": "W", "E": "E", "F": "E"}

STATUS = re.compile(r"^&&&& (?P<status>[A-Z]+) (?P<mid>.*?)(?: # (?P<command>.*))?$")
VERSION_TOKEN = re.compile(r"\[TensorRT (?P<token>v\d+)\]")
BUILD_TAG = re.compile(r"\[(?P<tag>b\d+)\]")
# dotted (8.2+: "8.2.3", "10.16.1") or 8.0's integer NV_TENSORRT_VERSION ("8003"): see version_from_line
VERSION_LINE = re.compile(r"^TensorRT version: (?P<version>\d+(?:\.\d+)+|\d{4,6})\s*$")
# The shape an input was bound with at inference (TensorRT 8.x "Created input binding for", 10.x "Input binding
# for"): the batch the run really used even when the options say "Input inference shapes: model".
INPUT_BINDING = re.compile(r"^(?:Created )?[Ii]nput binding for (?P<name>\S+) with dimensions (?P<dims>[0-9x]+)\b")
# trtexec before TensorRT 7.0 echoed each argument it parsed, one per line, before building: ``batch: 16``
# (``--name=value``) or a bare ``int8`` (a flag); then ``Input "data": 3x224x224`` per Caffe input (CHW, no batch:
# implicit batch). The names are those trtexec 5.x accepted (its parseArgs); see docs/trtexec-logs.md.
ARGUMENTS5 = frozenset({
    "model", "deploy", "saveEngine", "loadEngine", "engine", "uff", "onnx", "calib", "input", "output", "uffInput",
    "batch", "iterations", "avgRuns", "device", "workspace", "useDLACore", "percentile", "safe", "fp16", "int8",
    "verbose", "allowGPUFallback", "useSpinWait", "dumpOutput", "dumpLayerTime", "inputDataTypes",
    "outputDataTypes", "inputTensorFormats", "outputTensorFormats",
})
_NUMERIC5 = frozenset({"batch", "iterations", "avgRuns", "device", "workspace", "useDLACore", "percentile"})
_FLAGS5 = frozenset({"safe", "fp16", "int8", "verbose", "allowGPUFallback", "useSpinWait", "dumpOutput",
                     "dumpLayerTime"})
ARGUMENT5 = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*)(?:: (?P<value>.*))?$")
INPUT5 = re.compile(r'^Input "(?P<name>[^"]+)": (?P<dims>\d+(?:x\d+)*)\s*$')
SECTION = re.compile(r"^=== (?P<title>.+?) ===\s*$")
# ``n`` is any token so a damaged count (-1, 1e3, 12.5) reaches profile_iterations' refusal instead of leaving the
# table untitled (read as 'count not printed')
PROFILE_TITLE = re.compile(r"^Profile \((?P<n>[^\s()]+) iterations? ?\)$")

# ---- performance summary ---------------------------------------------------------------------------------

# 8.0+ ``Metric: min = X ms, max = X ms, mean = .., median = .., percentile(99%) = ..``. Any metric name is
# accepted so new metrics are kept; the stat list must start with ``min``.
STAT_LINE = re.compile(r"^(?P<metric>[A-Z][A-Za-z0-9 ./\-]*?): (?P<stats>min\b.*)$")
STAT_ITEM = re.compile(
    r"(?P<stat>min|max|mean|median|percentile\((?P<pct>\d+(?:\.\d+)?)%\))\s*=?\s*(?P<value>" + NUM
    + r")\s*(?P<unit>ms|us|s)\b"
)
# ``Throughput: 305.313 qps`` / ``Total Host Walltime: 3.01 s`` / ``Total GPU Compute Time: 2.98 s``.
VALUE_LINE = re.compile(
    r"^(?P<metric>Throughput|Total Host Walltime|Total GPU Compute Time): (?P<value>" + NUM
    + r")\s*(?P<unit>qps|ms|s)\b"
)
# TensorRT 7.x: a block title line, then ``min: X ms (end to end Y ms)`` ... (see docs/trtexec-logs.md).
SUMMARY7_BLOCKS = {
    "host latency": "Latency",
    "gpu compute": "GPU Compute Time",
    "enqueue time": "Enqueue Time",
}
SUMMARY7_STAT = re.compile(
    r"^(?P<stat>min|max|mean|median|percentile): (?P<value>" + NUM + r") ms(?: at (?P<pct>\d+(?:\.\d+)?)%)?"
    r"(?: \(end to end (?P<e2e>" + NUM + r") ms(?: at \d+(?:\.\d+)?%)?\))?\s*$"
)
SUMMARY7_VALUE = {
    "throughput": ("Throughput", "qps"),
    "walltime": ("Total Host Walltime", "s"),
    "total compute time": ("Total GPU Compute Time", "s"),
}
SUMMARY7_VALUE_LINE = re.compile(
    r"^(?P<key>throughput|walltime|total compute time): (?P<value>" + NUM + r")\s*(?P<unit>qps|ms|s)\b"
)
CV = re.compile(r"coefficient of variance = (?P<value>" + NUM + r")\s*%")
# A verbose build line before TensorRT 10's "[W] ... Skipping tactic N due to insufficient memory on requested size
# of B": B there is this line's budget, not what the tactic needs (inspector.rules_build).
MEM_BUDGET = re.compile(r"Exceeded mem budget of (?P<budget>\d+)\. Need (?P<need>\d+)")
# A verbose build line of TensorRT 8.x and 10 when a tactic needs more scratch than the workspace pool has (its own
# form of a skip, printed without a [W] line: "Tactic: 0x... skipped. Scratch requested: N, available: M").
SCRATCH_SKIP = re.compile(
    r"Tactic: (?P<tactic>0x[0-9a-fA-F]+|-?\d+) skipped\. Scratch requested: (?P<need>\d+), available: (?P<avail>\d+)")
# A verbose autotuning line naming the kernel behind a layer's tactic id (TensorRT 8.x): "Conv-4 + ReLU-5 Set Tactic
# Name: maxwell_scudnn_128x32_..._v1 Tactic: 0x80f932c0b8ce5940"; the engine's layer list gives only the id.
TACTIC_NAME = re.compile(r"^(?P<layer>.+?) Set Tactic Name: (?P<name>\S+) Tactic: (?P<tactic>-?0x[0-9a-fA-F]+)\s*$")
# A verbose autotuning line of a format no tactic could run ("... profiling completed in 1.01 seconds. Fastest Tactic:
# 0xd15ea5edd15ea5ed Time: inf"): with the format combination and the layer ("Timing Runner: L (Runner)") before it.
NO_TACTIC = "Fastest Tactic: 0xd15ea5edd15ea5ed Time: inf"
FORMAT_COMBINATION = re.compile(r"Autotuning format combination: (?P<formats>.+?) \*+\s*$")
TIMING_RUNNER = re.compile(r"Timing Runner: (?P<layer>.+?)(?: \([^()]*\))?\s*$")
TRACE_LINE = re.compile(r"^Average on \d+ runs - GPU latency: ")
# trtexec before TensorRT 7.0 (5.x, 6.0): one line per --iterations group of --avgRuns runs, e.g.
# 'Average over 500 runs is 3.96139 ms (host walltime is 4.03943 ms, 99% percentile time is 6.91373).'
AVERAGE5_LINE = re.compile(
    r"^Average over (?P<runs>\d+) runs is (?P<gpu>" + NUM + r") ms \(host walltime is (?P<host>" + NUM
    + r") ms, (?P<pct>\d+(?:\.\d+)?)% percentile time is (?P<p>" + NUM + r")\)\.?\s*$"
)


def stat_name(stat: str, pct: str | None) -> str:
    """``percentile(99%)`` -> ``p99``; ``percentile(99.9%)`` -> ``p99.9``; others unchanged."""
    if stat.startswith("percentile"):
        p = pct or ""
        return "p" + (p[:-2] if p.endswith(".0") else p)
    return stat


def parse_stat_line(body: str) -> list[dict[str, Any]] | None:
    """One 8.0+ summary line -> SUMMARY rows, or None when the line is not one."""
    m = VALUE_LINE.match(body)
    if m is not None:
        stat = "value"
        return [{"metric": m.group("metric"), "stat": stat, "value": float(m.group("value")),
                 "unit": m.group("unit")}]
    m = STAT_LINE.match(body)
    if m is None:
        return None
    rows = [
        {"metric": m.group("metric"), "stat": stat_name(s.group("stat"), s.group("pct")),
         "value": float(s.group("value")), "unit": s.group("unit")}
        for s in STAT_ITEM.finditer(m.group("stats"))
    ]
    return rows or None


def parse_average5_line(body: str) -> tuple[list[dict[str, Any]], int, float] | None:
    """A pre-7.0 (TensorRT 5.x/6.0) 'Average over N runs' line -> (GPU Compute Time mean and percentile rows, N,
    the host walltime mean), or None. The GPU times are cudaEvent times around each enqueue (no H2D/D2H)."""
    m = AVERAGE5_LINE.match(body)
    if m is None:
        return None
    rows = [{"metric": "GPU Compute Time", "stat": "mean", "value": float(m.group("gpu")), "unit": "ms"},
            {"metric": "GPU Compute Time", "stat": stat_name("percentile", m.group("pct")),
             "value": float(m.group("p")), "unit": "ms"}]
    return rows, int(m.group("runs")), float(m.group("host"))


def is_argument5(name: str, value: str | None) -> bool:
    """Whether ``name: value`` is an argument echo of trtexec 5.x: a known name, a number for its numeric
    arguments (a 7.x ``percentile: 1.67 ms at 99%`` summary line is not), nothing after a flag."""
    if name not in ARGUMENTS5:
        return False
    if name in _FLAGS5:
        return value is None
    if name in _NUMERIC5:
        return value is not None and re.fullmatch(r"-?\d+(?:\.\d+)?", value) is not None
    return value is not None


def argument_echo(args: dict[str, str]) -> str:
    """What a pre-7.0 log's argument echo is, quoting two of its own lines as printed: its ``batch`` line and its
    precision flag when it has them, else its first short lines (an argument given twice: its first line)."""
    lines = {n: f"{n}: {v.split('; ')[0]}" if v else n for n, v in args.items()}
    names = [str(n) for n in ("batch", "int8", "fp16") if n in lines][:2]
    rest = sorted((n for n in lines if n not in names), key=lambda n: len(lines[n]) > 40)   # short lines first
    names += rest[:2 - len(names)]
    quoted = ", ".join(f"`{lines[n]}`" for n in names)
    return f"trtexec before TensorRT 7.0 echoes its arguments one per line ({quoted})"


def options_from_arguments5(args: dict[str, str]) -> dict[str, dict[str, str]]:
    """The arguments a pre-7.0 trtexec echoed (``{"batch": "16", "int8": ""}``) as the option sections TensorRT
    7+ prints, in its wording (``Batch: 16``, ``Precision: FP32+INT8``, ``Workspace: 16 MB``), so that every
    reader of options sees one vocabulary. An absent argument takes trtexec 5's default (batch 1, workspace
    16 MB, FP32, device 0): the echo lists every argument given. A loaded engine (``--loadEngine``) was built
    elsewhere, so its build options are not known and none are given."""
    model: dict[str, str] = {}
    for key, fmt in (("deploy", "Caffe"), ("uff", "UFF"), ("onnx", "ONNX")):
        if key in args:
            model["Format"] = fmt
            break
    if args.get("model") or args.get("onnx") or args.get("uff"):
        model["Model"] = args.get("model") or args.get("onnx") or args.get("uff") or ""
    if "deploy" in args:
        model["Prototxt"] = args["deploy"]
    if "output" in args:
        model["Output"] = args["output"]
    batch = args.get("batch") or "1"
    build: dict[str, str] = {}
    if "loadEngine" not in args:
        precision = "FP32" + ("+FP16" if "fp16" in args else "") + ("+INT8" if "int8" in args else "")
        build = {"Max batch": batch, "Workspace": f"{args.get('workspace') or 16} MB", "Precision": precision}
        if "calib" in args:
            build["Calibration"] = args["calib"]
    inference = {"Batch": batch}
    system = {"Device": args.get("device") or "0"}
    dla = args.get("useDLACore", "-1")
    if dla.lstrip("-").isdigit() and int(dla) >= 0:
        system["DLACore"] = dla + ("(With GPU fallback)" if "allowGPUFallback" in args else "")
    return {"model_options": model, "build_options": build, "inference_options": inference,
            "system_options": system}


def parse_summary7_line(block: str, body: str) -> list[dict[str, Any]] | None:
    """One TensorRT 7.x summary line inside a ``Host Latency``/``GPU Compute``/``Enqueue Time`` block."""
    m = SUMMARY7_STAT.match(body)
    if m is not None:
        stat = stat_name(m.group("stat"), m.group("pct"))
        rows = [{"metric": block, "stat": stat, "value": float(m.group("value")), "unit": "ms"}]
        if m.group("e2e") is not None:
            rows.append({"metric": "End-to-End Host Latency", "stat": stat, "value": float(m.group("e2e")),
                         "unit": "ms"})
        return rows
    v = SUMMARY7_VALUE_LINE.match(body)
    if v is not None:
        metric, _unit = SUMMARY7_VALUE[v.group("key")]
        return [{"metric": metric, "stat": "value", "value": float(v.group("value")),
                 "unit": v.group("unit")}]
    return None


# ---- --dumpProfile table ---------------------------------------------------------------------------------

_N = r"(" + NUM + r")"
# 8.6.1+: ``Time(ms) Avg.(ms) Median(ms) Time(%) Layer`` -> numbers first, then the name.
PROFILE_ROW_NEW = re.compile(r"^\s*" + r"\s+".join([_N] * 4) + r"\s+(?P<name>\S.*)$")
# Before 8.6: ``Layer Time (ms) Avg. Time (ms) [Median Time (ms)] Time %`` -> name first, 3 or 4 numbers.
TRAILING_NUMBERS = re.compile(r"^(?P<name>.*?\S)((?:\s+(?:" + NUM + r")){3,4})\s*$")
PROFILE_HEADER_NEW = re.compile(
    r"^\s*Time\(ms\)\s+Avg\.\(ms\)\s+(?P<median>Median\(ms\)\s+)?Time\(%\)\s+Layer\s*$"
)
PROFILE_HEADER_OLD = re.compile(
    r"^\s*Layer\s+Time \(ms\)\s+Avg\. Time \(ms\)\s+(?P<median>Median Time \(ms\)\s+)?Time %\s*$"
)


def profile_row_new(body: str, has_median: bool = True) -> dict[str, Any] | None:
    m = PROFILE_ROW_NEW.match(body)
    if m is None:
        if has_median:
            return None
        m3 = re.match(r"^\s*" + _N + r"\s+" + _N + r"\s+" + _N + r"\s+(?P<name>\S.*)$", body)
        if m3 is None:
            return None
        return _row(m3.group("name"), [m3.group(1), m3.group(2), m3.group(3)])
    return _row(m.group("name"), [m.group(1), m.group(2), m.group(3), m.group(4)])


def profile_row_old(body: str, ncols: int | None) -> tuple[dict[str, Any] | None, int]:
    """Name-first row. ``ncols`` = 3 (no median) or 4; None lets the row decide (returns the count used)."""
    m = TRAILING_NUMBERS.match(body)
    if m is None:
        return None, 0
    numbers = m.group(2).split()
    name = m.group("name")
    use = ncols or len(numbers)
    if len(numbers) > use:  # the name itself ends with a number
        name = name + " " + " ".join(numbers[: len(numbers) - use])
        numbers = numbers[len(numbers) - use:]
    elif len(numbers) < use:
        return None, 0
    return _row(name.strip(), numbers), len(numbers)


def _row(name: str, numbers: list[str]) -> dict[str, Any]:
    vals = [float(x) for x in numbers]
    if len(vals) == 4:
        total, avg, median, pct = vals
    else:
        total, avg, pct = vals
        median = float("nan")
    return {"name": name, "time_ms": total, "avg_ms": avg, "median_ms": median, "percentage": pct,
            "name_recovered": False, "printed": (numbers[0], numbers[1])}


def printed_text(row: dict[str, Any]) -> dict[str, str]:
    """A row's Time(ms) and Avg.(ms) as trtexec printed them (``"5477.95"``, ``"3.62"``)."""
    time, avg = row["printed"]
    return {"time_ms": time, "avg_ms": avg}


def consistent_rows(rows: list[dict[str, Any]], rel_tol: float = 0.05) -> bool:
    """Do the rows look like one profile? (time/avg = iteration count agrees; 0 <= percentage <= 100)."""
    ratios = []
    for r in rows:
        if not 0.0 <= r["percentage"] <= 100.0 or r["time_ms"] < 0 or r["avg_ms"] < 0:
            return False
        if r["avg_ms"] >= 0.001:  # printed with 4 decimals: smaller averages carry no usable ratio
            ratios.append(r["time_ms"] / r["avg_ms"])
    if len(ratios) < 2:
        return True
    lo, hi = min(ratios), max(ratios)
    return (hi - lo) <= rel_tol * hi + 1.0


# ---- device ----------------------------------------------------------------------------------------------

def _first_number(text: str) -> float | None:
    m = re.search(NUM, text)
    return float(m.group(0)) if m else None


def _int(text: str) -> int | None:
    v = _first_number(text)
    return int(v) if v is not None else None


def _memory_bus(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"memory_bus_width_bits": _int(text)}
    if "ECC enabled" in text:
        out["ecc"] = True
    elif "ECC disabled" in text:
        out["ecc"] = False
    return out


# ``Key: value`` lines of ``=== Device Information ===`` -> device dict keys.
DEVICE_FIELDS: dict[str, Any] = {
    "Selected Device": lambda v: {"name": v.strip()},
    "Selected Device ID": lambda v: {"device_id": _int(v)},
    "Selected Device UUID": lambda v: {"uuid": v.strip()},
    "Compute Capability": lambda v: {"compute_capability": v.strip()},
    "SMs": lambda v: {"sms": _int(v)},
    "Device Global Memory": lambda v: {"global_memory_mib": _int(v)},
    "Shared Memory per SM": lambda v: {"shared_memory_per_sm_kib": _int(v)},
    "Memory Bus Width": _memory_bus,
    "Compute Clock Rate": lambda v: {"compute_clock_ghz": _first_number(v)},
    "Application Compute Clock Rate": lambda v: {"compute_clock_ghz": _first_number(v)},
    "Memory Clock Rate": lambda v: {"memory_clock_ghz": _first_number(v)},
    "Application Memory Clock Rate": lambda v: {"memory_clock_ghz": _first_number(v)},
}
AVAILABLE_DEVICE = re.compile(r'^\s*Device (?P<id>\d+): "(?P<name>[^"]*)"(?: UUID: (?P<uuid>\S+))?')


def parse_device_line(body: str) -> dict[str, Any] | None:
    key, sep, value = body.strip().partition(": ")
    if not sep or key not in DEVICE_FIELDS:
        return None
    parsed: dict[str, Any] = DEVICE_FIELDS[key](value)
    return {k: v for k, v in parsed.items() if v is not None and v != ""}


# ---- warnings --------------------------------------------------------------------------------------------

# (kind, pattern), first match wins. Order matters: the missing-scale message also says "fall back".
WARNING_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("unstable_compute", re.compile(r"coefficient of variance|compute time is unstable", re.I)),
    ("missing_int8_scales", re.compile(
        r"missing scale and zero-point|missing dynamic range|dynamic range (?:is )?missing|"
        r"no (?:int8 )?scales? (?:found|provided|set)", re.I)),
    ("no_conforming_impl", re.compile(
        r"no conforming implementation|obeys the requested constraints|"
        r"fall(?:s|ing)? ?back to (?:a )?(?:different|higher|lower|fp32|fp16|float) precision", re.I)),
    ("aux_streams", re.compile(r"aux(?:iliary)?[ _-]?streams?|multi[- ]?stream|\[MS\]", re.I)),
]
# Patterns that name the layer or tensor a warning is about.
WARNING_SUBJECT: list[re.Pattern[str]] = [
    re.compile(r"for tensor (?P<layer>.+?)(?:,\s*expect\b|\s*$)"),
    re.compile(r"No implementation of layer (?P<layer>.+?) obeys"),
    re.compile(r"^(?:Layer|layer) (?P<layer>.+?)(?::| is | has )"),
]


def classify_warning(message: str) -> tuple[str, str | None]:
    kind = "other"
    for name, pattern in WARNING_RULES:
        if pattern.search(message):
            kind = name
            break
    subject = None
    for pattern in WARNING_SUBJECT:
        m = pattern.search(message)
        if m is not None:
            subject = m.group("layer").strip()
            break
    return kind, subject


# A summary figure above this is no measurement (11.6 days in ms; the parsers' limit for any time).
MAX_FIGURE = 1e9


def bad_figure(row: dict[str, Any]) -> str | None:
    """Why a performance-summary figure cannot be what trtexec printed for a run (None when it can): every figure
    (times, throughput, walltime, the coefficient of variance) is a finite, non-negative number."""
    value = float(row["value"])
    what = f"{row['metric']} {row['stat']}" if row["stat"] != "value" else str(row["metric"])
    shown = f"{value:g} {row.get('unit') or ''}".strip()
    if value != value or value in (float("inf"), float("-inf")):
        return f"{what} is {shown}, not a finite number"
    if value < 0:
        return f"{what} is {shown}, a negative figure"
    if value > MAX_FIGURE:
        return f"{what} is {shown}, beyond any real measurement"
    return None


@dataclass
class SummaryBuilder:
    """Collects performance summaries; a header or a repeated (metric, stat) starts the next one."""

    done: list[list[dict[str, Any]]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    line_no: int = 0                                   # the line being read (set by the parser)
    bad: list[str] = field(default_factory=list)       # figures no run can print: 'line 12: GPU ... is nan'

    def start(self) -> None:
        if self.rows:
            self.done.append(self.rows)
        self.rows, self.seen = [], set()

    def add(self, rows: list[dict[str, Any]]) -> None:
        if any((r["metric"], r["stat"]) in self.seen for r in rows):
            self.start()
        for r in rows:
            self.seen.add((r["metric"], r["stat"]))
            self.rows.append(r)
            why = bad_figure(r)
            if why is not None:
                self.bad.append(f"line {self.line_no}: {why}")

    def summaries(self) -> list[list[dict[str, Any]]]:
        return [*self.done, self.rows] if self.rows else list(self.done)


_LOAD_ENGINE_FLAG = re.compile(r"(?:^|\s)--loadEngine=(?P<path>\S+)")


def loaded_engine(build_options: dict[str, str], command: str | None) -> str | None:
    """The engine file a ``--loadEngine`` run loaded (build option ``Load engine:``, else the command line of the
    RUNNING/PASSED line), None for a run that built its engine. Such a run's ``=== Build Options ===`` (printed
    by TensorRT 8.x whatever the run did; 10.x omits it) are trtexec's unused defaults, not build facts."""
    value = build_options.get("Load engine", "").strip()
    if value:
        return value
    m = _LOAD_ENGINE_FLAG.search(command or "")
    return m.group("path") if m is not None else None
