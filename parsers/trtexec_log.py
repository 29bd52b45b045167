"""trtexec stdout logs of every TensorRT era (7.x to 10.x), found by content, never by version number.

One linear pass over the lines reads: the ``&&&& RUNNING/PASSED/FAILED`` lines (status, command, version
token ``[TensorRT v101601] [b11]``), the ``=== Model/Build/Inference/System/Reporting Options ===`` sections,
``=== Device Information ===``, ``TensorRT version: X``, the performance summary (7.x ``Host Latency`` /
``min: X ms (end to end Y ms)`` blocks, 8.0+ ``Metric: min = .., percentile(99%) = ..`` lines with any number
of percentiles), the ``--dumpProfile`` table in both layouts (and headerless excerpts), the verbose
``Engine Layer Information`` block and ``--dumpLayerInfo`` records (as exportLayerInfo-shaped dicts, see
:mod:`trtinspect.parsers.trtexec_log_layers`), and ``[W]``/``[E]`` warnings. Lines may carry the
``[date] [I] [TRT]`` prefix or none at all. Frames use the SUMMARY, PROFILE and WARNINGS schemas.
Format reference and limits: ``docs/trtexec-logs.md``. The parser's seams are modules beside this one:
``trtexec_log_options`` (option sections, the pre-7.0 argument echo), ``trtexec_log_profile`` (the per-layer
profile table), ``trtexec_log_version`` (version normalisation), ``trtexec_log_sections`` (summary lines and
section patterns), ``trtexec_log_layers`` (layer records) and ``trtexec_log_sniff`` (why a file is not a log).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, schema
from trtinspect.parsers import trtexec_log_layers as layers_text
from trtinspect.parsers import trtexec_log_sections as sec
from trtinspect.parsers.trtexec_log_options import OPTION_SECTIONS as OPTION_SECTIONS
from trtinspect.parsers.trtexec_log_options import OptionReader
from trtinspect.parsers.trtexec_log_profile import ProfileReader, ProfileTable, profile_iterations
from trtinspect.parsers.trtexec_log_sniff import SNIFF_BYTES as SNIFF_BYTES
from trtinspect.parsers.trtexec_log_sniff import json_scalar as json_scalar
from trtinspect.parsers.trtexec_log_sniff import looks_json as looks_json
from trtinspect.parsers.trtexec_log_sniff import not_a_log
from trtinspect.parsers.trtexec_log_version import decode_version_token as decode_version_token
from trtinspect.parsers.trtexec_log_version import settle_version
from trtinspect.parsers.trtexec_log_version import version_from_line as version_from_line

log = logging.getLogger(__name__)

WHAT = "a trtexec log (the stdout of a trtexec run)"

# Warning kinds also recognised on lines quoted without their ``[W]`` prefix (the others are too generic).
UNPREFIXED_WARNING_KINDS = ("unstable_compute", "missing_int8_scales", "no_conforming_impl")
# Notes attached when trtexec says why a summary is missing.
SKIPPED_INFERENCE = ("no inference was run (--skipInference): build only; the log has no performance summary and "
                     "no timing")
# What TensorRT's engine inspector prints (8.4+) for an engine built with names-only profiling verbosity.
NAMES_ONLY_MESSAGE = "The profiling verbosity was set to ProfilingVerbosity::kLAYER_NAMES_ONLY"
EXPLAINED_ABSENCE = {
    "Skipped inference phase": SKIPPED_INFERENCE,
    "The e2e network timing is not reported": (
        "--dumpProfile ran without --separateProfileRun: trtexec printed the layer profile but no "
        "end-to-end performance summary"
    ),
}


@dataclass
class TrtexecLog:
    """Everything read from one trtexec log; frames follow parsers/schema.py (SUMMARY/PROFILE/WARNINGS)."""

    path: Path | None
    trt_version: str | None = None          # "10.16.1"; from "TensorRT version:", else decoded from the token
    version_token: str | None = None        # "v101601" from "[TensorRT v101601]"
    build_tag: str | None = None            # "b11" from "[b11]"
    command: str | None = None              # the trtexec command line after "# "
    status: str | None = None               # "PASSED" / "FAILED" (None: no final &&&& line)
    cut_off: bool = False                   # a "&&&& RUNNING" line and no final "&&&& PASSED/FAILED" line
    model_options: dict[str, str] = field(default_factory=dict)
    build_options: dict[str, str] = field(default_factory=dict)
    inference_options: dict[str, str] = field(default_factory=dict)
    system_options: dict[str, str] = field(default_factory=dict)
    reporting_options: dict[str, str] = field(default_factory=dict)
    input_bindings: dict[str, str] = field(default_factory=dict)   # input name -> dims the run created it with
    loaded_engine: str | None = None        # the serialized engine the run loaded (--loadEngine), else None
    other_options: dict[str, dict[str, str]] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.SUMMARY))
    profile: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.PROFILE))
    profile_iterations: int | None = None
    profile_total: dict[str, float] | None = None
    profile_total_text: dict[str, str] | None = None   # the Total row's Time / Avg as printed ("3.62")
    profile_layout: str | None = None       # "8.6+" | "pre-8.6" | "headerless"
    layer_records: list[dict[str, Any]] | None = None
    layer_records_source: str | None = None  # "dumpLayerInfo" | "engine_layer_information" | "device_lists"
    device_layers: list[dict[str, Any]] | None = None  # the DLA / GPU lists of a DLA build (trtexec_log_layers)
    layer_order: str | None = None                     # their order: "onnx-node-numbers" | "printed"
    warnings: pd.DataFrame = field(default_factory=lambda: schema.empty_frame(schema.WARNINGS))
    # verbose "Exceeded mem budget of B. Need N" lines: (line_no, budget B, need N) in bytes
    memory_shortfalls: list[tuple[int, int, int]] = field(default_factory=list)
    # verbose "Tactic: T skipped. Scratch requested: N, available: M" lines: (line_no, available M, need N) in bytes
    scratch_skips: list[tuple[int, int, int]] = field(default_factory=list)
    # verbose "<layer> Set Tactic Name: NAME Tactic: 0x..." lines: "<layer>|<tactic id, lower case>" -> NAME
    tactic_names: dict[str, str] = field(default_factory=dict)
    # verbose "Fastest Tactic: 0xd15ea5edd15ea5ed Time: inf" lines: (line_no, layer, format combination) timed last
    failed_formats: list[tuple[int, str, str]] = field(default_factory=list)
    lines_without_prefix: bool = False
    notes: list[str] = field(default_factory=list)

    def summary_value(self, metric: str, stat: str = "mean") -> float | None:
        """One number of the performance summary, e.g. ``summary_value("GPU Compute Time", "median")``."""
        hit = self.summary[(self.summary["metric"] == metric) & (self.summary["stat"] == stat)]
        return None if hit.empty else float(hit["value"].iloc[-1])


class _Parser(OptionReader, ProfileReader):
    """The line state machine (option sections: :class:`OptionReader`; per-layer profile tables:
    :class:`ProfileReader`). ``section`` names the block the previous lines opened."""

    def __init__(self, path: str | Path | None) -> None:
        self.out = TrtexecLog(path=Path(path) if path is not None else None)
        self.section: str | None = None
        self.autotuning: tuple[str, str] = ("", "")  # (layer, format combination) being timed
        self.options: dict[str, str] | None = None
        self.block7: str | None = None
        self.summaries = sec.SummaryBuilder()
        self.profiles: list[ProfileTable] = []
        self.profile: ProfileTable | None = None
        self.pending: list[tuple[int, str]] = []    # candidate headerless profile rows
        self.engine_blocks: list[list[dict[str, Any]]] = []
        self.in_engine_block = False
        self.dump_records: list[dict[str, Any]] = []
        self.dump_names_only = False
        self.loose7: list[dict[str, Any]] = []      # 7.x throughput/walltime lines seen outside a block
        self.warning_rows: list[dict[str, Any]] = []
        self.prefixed = 0
        self.running_seen = False
        self.runs = 0                               # '&&&& RUNNING' lines: trtexec runs in this file
        self.trace_lines = 0
        self.other_programs: list[str] = []         # '&&&& RUNNING TensorRT.sample_ssd': not trtexec
        self.average5: list[tuple[int, float]] = []  # pre-7.0 'Average over N runs' lines: (N, host ms)
        self.arguments5: dict[str, str] = {}        # pre-7.0 argument echo lines: name -> value ("" for a flag)
        self.version_line: str | None = None
        self.unparsed_layers: list[int] = []
        self.device_lists = layers_text.DeviceLists()   # "Layers Running on DLA / GPU", one per build
        self.last_warning_line = -1

    # ---- per line --------------------------------------------------------------------------------------
    def feed(self, line_no: int, raw: str) -> None:
        self.summaries.line_no = line_no
        m = sec.PREFIX.match(raw)
        if m is not None:
            self.prefixed += 1
            sev: str | None = sec.SEVERITY[m.group("sev")]
            body = m.group("body")
            trt = m.group("trt") is not None
        else:
            sev, body, trt = None, raw, False

        if body.startswith("&&&& "):
            self._status(body)
            return
        if sev == "V":
            self._verbose(line_no, body)
            return
        if sev == "W" or sev == "E":
            self._warning(line_no, sev, body)
            return
        self._info(line_no, sev, body, trt)

    def _autotuning(self, body: str) -> None:
        """Keep the layer and format combination being timed (for a format no tactic could run)."""
        layer, formats = self.autotuning
        fmt = sec.FORMAT_COMBINATION.search(body)
        runner = None if fmt else sec.TIMING_RUNNER.search(body)
        self.autotuning = (runner.group("layer") if runner else layer, fmt.group("formats") if fmt else formats)

    def _verbose(self, line_no: int, body: str) -> None:
        if self.in_engine_block and body.startswith("Layer("):
            self._engine_layer(0, body)
            return
        if "mem budget" in body:
            budget = sec.MEM_BUDGET.search(body)
            if budget is not None:
                self.out.memory_shortfalls.append((line_no, int(budget.group("budget")), int(budget.group("need"))))
        elif "Set Tactic Name" in body:
            named = sec.TACTIC_NAME.match(body)
            if named is not None:
                self.out.tactic_names[f"{named.group('layer')}|{named.group('tactic').lower()}"] = named.group("name")
        elif "Autotuning format combination" in body or "Timing Runner: " in body:
            self._autotuning(body)
        elif sec.NO_TACTIC in body:
            self.out.failed_formats.append((line_no, *self.autotuning))
        elif "Scratch requested" in body:
            scratch = sec.SCRATCH_SKIP.search(body)
            if scratch is not None:
                self.out.scratch_skips.append((line_no, int(scratch.group("avail")), int(scratch.group("need"))))
        self.in_engine_block = False
        if self.section in OPTION_SECTIONS or self.section == "device":
            self.section = None
        if body.startswith("Engine Layer Information"):
            self.engine_blocks.append([])
            self.in_engine_block = True
        elif body.startswith("==="):
            self._flush_pending()
            self.section = "ignored"

    def _status(self, body: str) -> None:
        m = sec.STATUS.match(body.rstrip())
        if m is None:
            return
        program = m.group("mid").split(" ", 1)[0]
        if program.startswith("TensorRT.") and not program.startswith("TensorRT.trtexec"):
            self.other_programs.append(program)  # another TensorRT sample's status line (sample_ssd, ...)
            return
        status = m.group("status")
        if status == "RUNNING":
            self.running_seen = True
            self.runs += 1
        else:
            self.out.status = status
        if m.group("command"):
            self.out.command = m.group("command").strip()
        tok = sec.VERSION_TOKEN.search(m.group("mid"))
        if tok:
            self.out.version_token = tok.group("token")
        tag = sec.BUILD_TAG.search(m.group("mid"))
        if tag:
            self.out.build_tag = tag.group("tag")

    def _warning(self, line_no: int, sev: str, body: str) -> None:
        self.in_engine_block = False
        rows = self.warning_rows
        continues = self.last_warning_line == line_no - 1
        self.last_warning_line = line_no
        message = body.strip()
        if body.startswith("  ") and continues and rows and message:
            rows[-1]["message"] += " " + message
            return
        if not message:
            return
        kind, subject = sec.classify_warning(message)
        rows.append({"kind": kind, "severity": sev, "line_no": line_no, "message": message, "layer": subject})
        cv = sec.CV.search(message)
        if cv is not None:
            self.summaries.add([{"metric": "GPU Compute Time CV", "stat": "value",
                                 "value": float(cv.group("value")), "unit": "%"}])

    def _info(self, line_no: int, sev: str | None, body: str, trt: bool) -> None:
        stripped = body.strip()
        header = sec.SECTION.match(stripped) if stripped.startswith("===") else None
        if header is not None:
            self._flush_pending()
            self.in_engine_block = False
            self._open_section(header.group("title"))
            return
        section = self.section
        if section in OPTION_SECTIONS or section == "other_options":
            if self._option(stripped, trt):
                return
        elif section == "device":
            if self._device(stripped, trt):
                return
        elif section == "profile":
            if self._profile_line(body, stripped):
                return
        elif section == "dump_layers" and self._dump_layer(sev, body, stripped, trt):
            return
        if self.in_engine_block:
            if body.startswith("Layer("):
                self._engine_layer(line_no, body)
                return
            self.in_engine_block = False
        self._general(line_no, sev, body, stripped, trt)

    def _open_section(self, title: str) -> None:
        self.block7 = None
        if title in OPTION_SECTIONS:
            self.section = title
            self.options = getattr(self.out, OPTION_SECTIONS[title])
        elif title.endswith("Options"):
            self.section = "other_options"
            self.options = self.out.other_options.setdefault(title, {})
        elif title == "Device Information":
            self.section = "device"
        elif title == "Performance summary":
            self.section = "summary"
            self.summaries.start()
        elif (p := sec.PROFILE_TITLE.match(title)) is not None:
            self.section = "profile"
            self.profile = ProfileTable(iterations=profile_iterations(p.group("n"), self.out.path), layout=None)
            self.profiles.append(self.profile)
        else:
            self.section = "ignored"


    # ---- layer records ---------------------------------------------------------------------------------
    def _engine_layer(self, line_no: int, body: str) -> None:
        record = layers_text.parse_engine_layer_line(body.rstrip())
        if record is None:
            self.in_engine_block = False
            return
        if not self.in_engine_block or not self.engine_blocks:
            self.engine_blocks.append([])
            self.in_engine_block = True
        if "_unparsed" in record:
            self.unparsed_layers.append(line_no)
            del record["_unparsed"]
        self.engine_blocks[-1].append(record)

    def _dump_layer(self, sev: str | None, body: str, stripped: str, trt: bool) -> bool:
        if stripped == "Layers:" and not self.dump_records:
            return True
        if stripped.startswith(NAMES_ONLY_MESSAGE):
            # TensorRT's inspector says so between 'Layer Information:' and 'Layers:' (8.4+): names follow
            self.dump_names_only = True
            return True
        if trt and not self.dump_records:
            return True  # another TensorRT logger line printed while the inspector ran: the records follow
        if not stripped or stripped == "Bindings:" or (sev is not None and not stripped.startswith("Name: ")):
            self.section = "ignored" if stripped == "Bindings:" else None
            return bool(stripped == "Bindings:" or not stripped)
        record = layers_text.parse_oneline_record(body.strip("\r\n"))
        if "_unparsed" in record:
            del record["_unparsed"]
            self.unparsed_layers.append(-1)
        self.dump_records.append(record)
        return True

    # ---- everything else -------------------------------------------------------------------------------
    def _general(self, line_no: int, sev: str | None, body: str, stripped: str, trt: bool) -> None:
        if not stripped:
            self._flush_pending()
            return
        v = sec.VERSION_LINE.match(stripped)
        if v is not None:
            self.version_line = version_from_line(v.group("version"))
            return
        if stripped[:1] in "-[" and self.device_lists.feed(stripped):
            return
        if body.startswith("Layer("):
            self._flush_pending()
            self._engine_layer(line_no, body)
            return
        if stripped == "Layer Information:":
            self._flush_pending()
            self.section = "dump_layers"
            self.dump_records = []
            return
        if stripped.startswith(("Layer", "Time(ms)")) and self._profile_header(stripped):
            return
        lowered = stripped.lower()
        if lowered in sec.SUMMARY7_BLOCKS and not trt:
            self.block7 = sec.SUMMARY7_BLOCKS[lowered]
            if self.loose7:  # an excerpt that starts after the Host Latency block ('walltime: 5.67 s')
                self.summaries.add(self.loose7)
                self.loose7 = []
            if self.block7 == "Latency":
                self.summaries.start()
            return
        if self.block7 is not None:
            rows = sec.parse_summary7_line(self.block7, stripped)
            if rows is not None:
                self.summaries.add(rows)
                return
            self.block7 = None
        elif not trt and sec.SUMMARY7_VALUE_LINE.match(stripped):
            # kept only if a 7.x block title follows (alone, 'walltime: 3 s' says too little)
            self.loose7.extend(sec.parse_summary7_line("", stripped) or [])
            return
        if not trt and self._argument5(stripped):
            return
        binding = None if trt else sec.INPUT_BINDING.match(stripped)
        if binding is not None:   # "[Created ]Input binding for x with dimensions 1x1x28x28 and type ..."
            self.out.input_bindings.setdefault(binding.group("name"), binding.group("dims"))
            return
        rows = None if trt else sec.parse_stat_line(stripped)
        if rows is not None:
            self._flush_pending()
            self.summaries.add(rows)
            return
        if sec.TRACE_LINE.match(stripped):
            self.trace_lines += 1
            return
        avg5 = None if trt else sec.parse_average5_line(stripped)
        if avg5 is not None:
            self.summaries.add(avg5[0])
            self.average5.append(avg5[1:])
            return
        if sev is None and sec.classify_warning(stripped)[0] in UNPREFIXED_WARNING_KINDS:
            self._flush_pending()
            self._warning(line_no, "W", stripped)  # warnings quoted without their [W] prefix
            return
        for marker, note in EXPLAINED_ABSENCE.items():
            if stripped.startswith(marker):
                self._note(note)
        if not trt and stripped[-1:].isdigit() and (
            sec.PROFILE_ROW_NEW.match(stripped) or sec.TRAILING_NUMBERS.match(stripped)
        ):
            self.pending.append((line_no, stripped))
            return
        self._flush_pending()

    def _note(self, note: str) -> None:
        if note not in self.out.notes:
            self.out.notes.append(note)

    # ---- result ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """End of input: settle any pending headerless profile rows."""
        self._flush_pending()

    def finish(self) -> TrtexecLog:
        self._flush_pending()
        out = self.out
        out.lines_without_prefix = self.prefixed == 0
        out.loaded_engine = sec.loaded_engine(out.build_options, out.command)
        settle_version(out, self.version_line, self._note)
        if self.runs > 1:
            self._note(f"{self.runs} trtexec runs in one file ('&&&& RUNNING' lines): options are merged and "
                       "the summary, profile and layers each come from the last run that printed one, which "
                       "may not be the same run; split the file to read one run")
        if self.running_seen and out.status is None:
            out.cut_off = True
            self._note("the log ends before trtexec's final '&&&& PASSED/FAILED' line (cut off, or trtexec "
                       "crashed)")
        if self.average5:
            runs, host = self.average5[-1]
            self._note(f"trtexec format before TensorRT 7.0: {len(self.average5)} 'Average over N runs' line(s), "
                       f"each the GPU time mean and percentile of a group of {runs} runs (cudaEvent time around "
                       f"enqueue, per batch, no transfers); the last group's host walltime mean ({host:g} ms) "
                       "has no counterpart in later summaries")
        if self.arguments5:
            self._apply_arguments5()
        # summary
        summaries = self.summaries.summaries()
        if summaries:
            out.summary = schema.frame_from_records(summaries[-1], schema.SUMMARY)
            if len(summaries) > 1:
                self._note(f"{len(summaries)} performance summaries found; the last one is used")
        self._finish_profile()
        # layer records
        blocks = [b for b in self.engine_blocks if b]
        if self.dump_records:
            out.layer_records, out.layer_records_source = self.dump_records, "dumpLayerInfo"
            if self.dump_names_only:
                self._note(f"--dumpLayerInfo printed layer names only ({len(self.dump_records)} layers): the "
                           "engine was built with ProfilingVerbosity::kLAYER_NAMES_ONLY (rebuild with "
                           "--profilingVerbosity=detailed for types, precisions and tensors)")
            if blocks:
                self._note("both --dumpLayerInfo records and the verbose 'Engine Layer Information' block "
                           "are present; layer_records come from --dumpLayerInfo")
        elif blocks:
            out.layer_records, out.layer_records_source = blocks[-1], "engine_layer_information"
            if len(blocks) > 1:
                self._note(f"{len(blocks)} 'Engine Layer Information' blocks found (several builds); "
                           "the last one is used")
        self.device_lists.apply(out, self._note)
        if self.unparsed_layers:
            self._note(f"{len(self.unparsed_layers)} layer record(s) had tensor lists that could not be "
                       "read; their Inputs/Outputs are left empty")
        out.warnings = schema.frame_from_records(self.warning_rows, schema.WARNINGS)
        return out

    def found_anything(self) -> bool:
        o = self.out
        return bool(
            o.status or o.command or o.version_token or self.version_line or o.device or self.running_seen
            or any(getattr(o, a) for a in OPTION_SECTIONS.values()) or self.summaries.summaries()
            or any(p.rows for p in self.profiles) or self.dump_records or any(self.engine_blocks)
            or any(self.device_lists.lists)
            or self.trace_lines
        )


# ---- public API ------------------------------------------------------------------------------------------

_MARKERS = re.compile(
    r"&&&& (?:RUNNING|PASSED|FAILED) TensorRT|TensorRT\.trtexec|=== (?:Performance summary|Model Options|"
    r"Build Options|Inference Options|Device Information|Reporting Options) ===|=== Profile \(\d+ iterations|"
    r"Engine Layer Information:|^(?:\S.*\] )?(?:GPU Compute Time|Latency|H2D Latency): min = |"
    r"^(?:\S.*\] )?Throughput: " + sec.NUM + r" qps|Average on \d+ runs - GPU latency: |"
    r"^(?:\S.*\] )?(?:min|mean|median): " + sec.NUM + r" ms \(end to end",
    re.M,
)


# Terminal colour/cursor sequences (ESC [ ... letter) that colouring loggers and `script` captures leave in a log.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _clean(text: str) -> str:
    """The text without a leading byte-order mark and without ANSI escape sequences."""
    text = text.removeprefix("\ufeff")
    return ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


def looks_like_trtexec_log(head: str) -> bool:
    """Cheap content sniff on the first ~64 KiB: is this trtexec stdout (whole, or a headerless excerpt)?"""
    head = _clean(head[:SNIFF_BYTES])
    if not head.strip() or looks_json(head):
        return False
    if _MARKERS.search(head):
        return True
    # Excerpts without those markers (headerless --dumpProfile tables, 7.x 'GPU Compute' blocks): parse the
    # head with the parser itself, so whatever parse_trtexec_text reads from it is taken as a log.
    parser = _Parser(None)
    for i, line in enumerate(head.splitlines()[:2000], 1):
        parser.feed(i, line.rstrip("\r"))
    parser.close()
    return parser.found_anything()


def parse_trtexec_text(text: str, *, path: str | Path | None = None) -> TrtexecLog:
    """Parse the text of a trtexec log. Raises :class:`TrtInspectError` when it is not one."""
    if not text.strip():
        raise TrtInspectError(f"file is empty (expected {WHAT})", path=path,
                              hint="re-run trtexec and save its output (trtexec ... > run.log 2>&1)")
    if "\x00" in text[:4096]:
        raise TrtInspectError(f"binary data, not {WHAT}", path=path)
    text = _clean(text)
    if looks_json(text[:SNIFF_BYTES]):
        raise not_a_log(text, path)
    lines = text.split("\n")
    parser = _Parser(path)
    cut_note = None
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and not lines[-1].startswith("&&&& "):
        cut_note = (f"the last line (line {len(lines)}) has no line ending and was ignored: the file "
                    "looks cut off mid-line")
        lines.pop()
    for i, line in enumerate(lines, 1):
        parser.feed(i, line[:-1] if line.endswith("\r") else line)
    parser.close()
    if not parser.found_anything():
        if parser.other_programs:
            raise TrtInspectError(f"not a trtexec log: this is the output of {parser.other_programs[0]} (another "
                                  "TensorRT program), which prints none of trtexec's sections", path=path,
                                  hint="pass the text trtexec printed (e.g. trtexec ... > run.log 2>&1)")
        raise not_a_log(text, path)
    if parser.summaries.bad:   # a damaged or edited summary: never shown as '-' or passed as a figure
        raise TrtInspectError(f"performance summary, {parser.summaries.bad[0]}"
                              + (f" (and {len(parser.summaries.bad) - 1} more)" if len(parser.summaries.bad) > 1
                                 else ""), path=path,
                              hint="trtexec prints finite, non-negative figures: the log is damaged or was edited; "
                                   "use the log trtexec wrote (trtexec ... > run.log 2>&1)")
    result = parser.finish()
    if cut_note:
        result.notes.append(cut_note)
    log.debug("parsed trtexec log %s: %d summary rows, %d profile rows", path, len(result.summary),
              len(result.profile))
    return result


def parse_trtexec_log(source: str | Path) -> TrtexecLog:
    """Read and parse a trtexec log file (see :func:`parse_trtexec_text`)."""
    text = _io.read_text(source, what=WHAT)
    return parse_trtexec_text(text, path=source)
