"""The declared table of input kinds: how each file kind is recognised, parsed and applied to a bundle.

:data:`KINDS` has one row per kind, in the order the loader applies them (the engine file, TREx metadata,
trtexec logs, layer information, profile, times). An engine file given alone is read by the caller's engine
reader, which reaches the table through :class:`LoadContext` (``engine_reader``). A row says how the kind is
detected (a JSON content rule, or a note of the special detection in :mod:`trtinspect.parsers.sniff`),
whether one engine may have only one such file, and how its files are applied to the bundle (``apply``),
loaded on their own (``load_alone``: an nsys export), refused with advice (``refuse``) or skipped (not
engine data). The sniffer and the loader read this table only; adding a kind is one row here and one parser
module. See docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect import samples
from trtinspect.errors import TrtInspectError
from trtinspect.parsers.device import merge_device
from trtinspect.parsers.model import EngineBundle

# Parts a trtexec log can contribute; two logs giving the same part cannot be merged.
LOG_PARTS: dict[str, Callable[[Any], bool]] = {
    "summary": lambda lg: not lg.summary.empty,
    "profile": lambda lg: not lg.profile.empty,
    "layers": lambda lg: bool(lg.layer_records),
}
NSYS_EXPORT = "nsys export --type sqlite --output {stem}.sqlite {name}"
EXPORT_COMMAND = (
    "trtexec --loadEngine={e} --profilingVerbosity=detailed --exportLayerInfo={e}.graph.json "
    "--exportProfile={e}.profile.json --exportTimes={e}.timing.json --separateProfileRun --dumpProfile"
)
# Reads a serialized engine that has no sidecar files (e.g. TensorRT, :mod:`trtinspect.capture.trt_backend`);
# returns None when it cannot (no TensorRT). Passed in by the caller through the load context: the loader never
# imports capture code.
EngineReader = Callable[[Path], "EngineBundle | None"]
_KEY = r'"{}"\s*:'


@dataclass
class LoadContext:
    """What the appliers share while one bundle is built: the bundle, every file by kind, and parsed logs."""

    bundle: EngineBundle
    by_kind: dict[str, list[Path]]
    found: set[Path] = field(default_factory=set)   # files found by scanning a folder: skipped with a note if bad
    logs: list[tuple[Path, Any]] = field(default_factory=list)
    engine_reader: EngineReader | None = None       # the caller's reader of an engine given without sidecars
    # what the files that are not logs said before the logs were applied (parsers.log_belonging.OtherFacts)
    before_logs: Any = None
    bindings: list[str] | None = None                # the layer information's Bindings (input and output tensors)

    def has(self, kind: str) -> bool:
        return bool(self.by_kind.get(kind))


Applier = Callable[[LoadContext, list[Path]], None]
Progress = Callable[[str, int, int], None]  # progress(stage, done, total), passed in by the caller (the CLI)
AloneLoader = Callable[[Path, "Progress | None"], EngineBundle]   # (path, progress) -> bundle
# (files by kind, name, progress) -> bundle: this kind's files with the companions the loader accepts
GroupLoader = Callable[[dict[str, list[Path]], "str | None", "Progress | None"], EngineBundle]


@dataclass(frozen=True)
class JsonRule:
    """A JSON kind's content rule: the opening bracket and a pattern the file's first bytes must match.

    Rules are tried by ascending ``priority`` (the first match wins): a layer JSON can mention option names.
    """

    bracket: str
    pattern: re.Pattern[str]
    priority: int


@dataclass(frozen=True)
class InputKind:
    name: str
    what: str                                   # what the file is (docs, messages)
    detect: JsonRule | str                      # a JSON content rule, or how sniff detects it (words)
    single: bool = True                         # one engine has at most one such file
    apply: Applier | None = None                # applies the kind's files to the bundle (in table order)
    load_alone: AloneLoader | None = None   # a whole bundle from this one file
    load_with: GroupLoader | None = None         # a whole bundle from this kind's files (+ accepted companions)
    refuse: tuple[str, str] | None = None       # (problem, hint with {stem} and {name}): cannot be read
    engine_data: bool = True                    # False: found in folders, skipped with a note


def _note(bundle: EngineBundle, path: Path | None, notes: Iterable[str]) -> None:
    for n in notes:
        bundle.notes.append(f"{path.name}: {n}" if path is not None else n)


def _add_source(bundle: EngineBundle, kind: str, path: Path) -> None:
    bundle.sources.setdefault(kind, []).append(path)


def _merge_device(bundle: EngineBundle, raw: dict[str, Any], *, override: bool = False) -> None:
    """Device facts in one vocabulary (parsers.device); the raw dicts stay in ``extras["device_raw"]``."""
    if raw:
        bundle.extras.setdefault("device_raw", []).append(dict(raw))
        merge_device(bundle.device, raw, override=override)


def _frame_is_detailed(frame: pd.DataFrame) -> bool:
    if frame.empty or "layer_type" not in frame:
        return False
    return bool(frame["layer_type"].fillna("").ne("").any())


# ---------------------------------------------------------------------------------------------- appliers
def apply_engine(ctx: LoadContext, paths: list[Path]) -> None:
    """A serialized engine (one per bundle): a source of the bundle its sidecar files make; given alone, the
    bundle is what the caller's engine reader makes of it (``ctx.engine_reader``: ``trtinspect.load`` passes
    TensorRT's), else it is refused with the trtexec command that exports the sidecars."""
    if len(paths) > 1:
        raise TrtInspectError(f"{len(paths)} engine files given ({', '.join(p.name for p in paths)})",
                              hint="load one engine at a time")
    if any(files for kind, files in ctx.by_kind.items() if kind != "engine"):
        ctx.bundle.sources["engine"] = list(paths)
        return
    engine = paths[0]
    read = ctx.engine_reader(engine) if ctx.engine_reader is not None else None
    if read is None:
        raise TrtInspectError(
            "a serialized engine has no readable text and no sidecar files (X.engine.graph.json, .profile.json, "
            ".timing.json) were found beside it",
            path=engine, hint=f"export them with: {EXPORT_COMMAND.format(e=engine)}",
        )
    ctx.bundle = read


def apply_build_metadata(ctx: LoadContext, paths: list[Path]) -> None:
    """TREx ``process_engine.py`` build metadata: model and build options, device."""
    from trtinspect.parsers import metadata

    for p in paths:
        bm = metadata.parse_build_metadata(p)
        ctx.bundle.model_options.update(bm.model_options)
        ctx.bundle.build_options.update(bm.build_options)
        _merge_device(ctx.bundle, bm.device_information, override=True)
        _add_source(ctx.bundle, "trex_build_metadata", p)


def apply_profile_metadata(ctx: LoadContext, paths: list[Path]) -> None:
    """TREx profile metadata: trtexec's performance summary, inference options, device, GPU state."""
    from trtinspect.parsers import metadata

    bundle = ctx.bundle
    for p in paths:
        pm = metadata.parse_profile_metadata(p)
        bundle.summary = pm.summary
        bundle.inference_options.update(pm.inference_options)
        _merge_device(bundle, pm.device_information, override=True)
        if pm.tool:  # written by `trtinspect profile`: its times hold measured iterations only
            bundle.extras["times_writer"] = "trtinspect profile"
        if pm.tool.get("tensorrt_version"):
            bundle.trt_version = str(pm.tool["tensorrt_version"])
        if pm.gpu_state:
            bundle.extras["gpu_state"] = pm.gpu_state
            bundle.notes.extend(f"GPU state: {w}" for w in pm.gpu_state.get("warnings") or [])
        bundle.extras["summary_source"] = p
        _note(bundle, p, pm.notes)
        _add_source(bundle, "trex_profile_metadata", p)


def apply_device_metadata(ctx: LoadContext, paths: list[Path]) -> None:
    """TREx device metadata: CUDA device properties."""
    from trtinspect.parsers import metadata

    for p in paths:
        dm = metadata.parse_device_metadata(p)
        ctx.bundle.extras["device_properties"] = dm.devices
        _merge_device(ctx.bundle, dm.first)
        _add_source(ctx.bundle, "trex_device_metadata", p)


def _first_error(lg: Any) -> str | None:
    """The first ``[E]``/``[F]`` message of a log (the root cause; trtexec's last errors are generic)."""
    w = lg.warnings
    if w.empty:
        return None
    errors = w[w["severity"] == "E"]
    if errors.empty:
        return None
    text = " ".join(str(errors["message"].iloc[0]).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _refuse_failed_run(path: Path, lg: Any) -> None:
    """A run trtexec itself reported as FAILED that printed no engine data is not an engine to analyse."""
    if lg.status != "FAILED" or any(has(lg) for has in LOG_PARTS.values()):
        return
    version = f" (TensorRT {lg.trt_version})" if lg.trt_version else ""
    cause = _first_error(lg)
    raise TrtInspectError(
        f"trtexec reported FAILED{version} and printed no performance summary, layer profile or layer "
        f"information" + (f"; first error: {cause}" if cause else ""),
        path=path, hint="fix the build or run that failed and pass the log of a run that ends in "
                        "'&&&& PASSED'",
    )


def _refuse_several_runs(logs: list[tuple[Path, Any]], folder: Path) -> None:
    """Refuse logs of several runs (two logs with a summary, a profile or a layer list): name every log and
    what it holds, and how to pick one (its path; the one with a per-layer profile for lint/report)."""
    clash = [part for part, has in LOG_PARTS.items() if sum(1 for _, lg in logs if has(lg)) > 1]
    if not clash:
        return
    parts = {p: [k for k, h in LOG_PARTS.items() if h(lg)] for p, lg in logs}
    desc = "; ".join(f"{p.name} ({', '.join(ks) or 'options only'})" for p, ks in parts.items())
    with_profile = [p for p, ks in parts.items() if "profile" in ks]
    pick = max(with_profile or list(parts), key=lambda p: len(parts[p]))
    raise TrtInspectError(
        f"cannot tell which trtexec log belongs to the engine: these {len(logs)} logs are of several runs "
        f"(more than one has a {' / '.join(clash)}): {desc}",
        path=folder,
        hint=f"Pick one log by passing its path instead of the folder, e.g. {samples.display(pick)}"
        + (" (it has the per-layer profile)" if pick in with_profile else "")
        + ", or pass the logs of one run together",
    )


def _parse_logs(paths: list[Path], bundle: EngineBundle, found: set[Path],
                only_logs: bool = False) -> list[tuple[Path, Any]]:
    from trtinspect.parsers.trtexec_log import parse_trtexec_log

    logs = []
    failed: list[TrtInspectError] = []
    for p in paths:
        try:
            lg = parse_trtexec_log(p)
            _refuse_failed_run(p, lg)
            logs.append((p, lg))
        except TrtInspectError as exc:
            if p not in found:
                raise
            failed.append(exc)
            bundle.notes.append(f"skipped {p.name}: {exc.problem}")
    if not logs and failed and only_logs:   # a folder holding only unusable logs is not an engine either
        raise failed[0]
    if len(logs) > 1:
        _refuse_several_runs(logs, paths[0].parent)
        versions = {lg.trt_version for _, lg in logs if lg.trt_version}
        if len(versions) > 1:
            raise TrtInspectError(f"the trtexec logs come from different TensorRT versions "
                                  f"({sorted(versions)})",
                                  path=paths[0].parent, hint="pass the logs of one engine only")
        bundle.notes.append(f"merged {len(logs)} trtexec logs: {', '.join(p.name for p, _ in logs)}")
    for p, _ in logs:
        _add_source(bundle, "trtexec_log", p)
    return logs


def _apply_log_options(logs: list[tuple[Path, Any]], bundle: EngineBundle) -> None:
    warnings = []
    for p, lg in logs:
        bundle.trt_version = bundle.trt_version or lg.trt_version
        # a --loadEngine run's Build Options (TensorRT 8.x prints its defaults, e.g. 'Precision: FP32') say
        # nothing about how the engine was built: not build facts (docs/trtexec-logs.md)
        build = {} if lg.loaded_engine else lg.build_options
        if lg.loaded_engine:
            bundle.extras.setdefault("loaded_engine", lg.loaded_engine)
        pairs = ((bundle.model_options, lg.model_options), (bundle.build_options, build),
                 (bundle.inference_options, lg.inference_options))
        for target, source in pairs:
            for k, v in (source or {}).items():
                target.setdefault(k, v)
        for k, v in (lg.system_options or {}).items():   # Device (index), DLACore: parsers.run_facts
            bundle.extras.setdefault("system_options", {}).setdefault(k, v)
        if lg.input_bindings and "input_bindings" not in bundle.extras:
            bundle.extras["input_bindings"] = ",".join(f"{k}={v}" for k, v in lg.input_bindings.items())
        _merge_device(bundle, lg.device or {})
        if not lg.summary.empty:
            if not bundle.summary.empty:
                bundle.notes.append(f"performance summary taken from {p.name} (the trtexec log), not from "
                                    f"{Path(bundle.extras.get('summary_source', '')).name}")
            bundle.summary = lg.summary
            bundle.extras["summary_source"] = p
        if not lg.warnings.empty:
            warnings.append(lg.warnings)
        if lg.memory_shortfalls:   # the needs behind 'insufficient memory' warnings (inspector.rules_build)
            bundle.extras.setdefault("memory_shortfalls", []).extend(lg.memory_shortfalls)
        if lg.scratch_skips:       # verbose skips with no [W] line (TensorRT 8.4, 10): inspector.rules_build
            bundle.extras.setdefault("scratch_skips", []).extend(lg.scratch_skips)
        if lg.tactic_names:        # kernel names of tactic ids (TensorRT 8.x verbose): inspector.reformat_layout
            bundle.extras.setdefault("tactic_names", {}).update(lg.tactic_names)
        if lg.failed_formats:      # formats no tactic could run ('Time: inf'): inspector.rules_build
            bundle.extras.setdefault("failed_formats", []).extend(lg.failed_formats)
        if lg.command:
            bundle.extras.setdefault("commands", []).append(lg.command)
        _note(bundle, p, getattr(lg, "notes", None) or [])
    if warnings:
        bundle.warnings = pd.concat(warnings, ignore_index=True) if len(warnings) > 1 else warnings[0]


def apply_logs(ctx: LoadContext, paths: list[Path]) -> None:
    """trtexec logs: options, device, summary, warnings; their layers and profile table when no file has them."""
    only_logs = {k for k, v in ctx.by_kind.items() if v} <= {"trtexec_log"}
    ctx.logs = _parse_logs(paths, ctx.bundle, ctx.found, only_logs=only_logs)
    from trtinspect.parsers.log_belonging import snapshot

    b = ctx.bundle
    src = b.extras.get("summary_source")   # the TREx metadata's facts, its performance summary included
    ctx.before_logs = snapshot(b.device, b.model_options, b.inference_options, b.summary,
                               Path(src) if src else None)
    cut = [str(p) for p, lg in ctx.logs if lg.cut_off]
    if cut:   # what a gate must not judge (inspector.check_inputs); report and lint keep the log's note
        ctx.bundle.extras["cut_logs"] = cut
    _apply_log_options(ctx.logs, ctx.bundle)
    if not ctx.has("layer_info"):
        _layers_from_logs(ctx)
    if not ctx.has("profile"):
        _profile_from_logs(ctx)


def _layers_from_logs(ctx: LoadContext) -> None:
    from trtinspect.parsers import layers as layer_parser

    for p, lg in ctx.logs:
        if lg.layer_records:
            lists = lg.layer_records_source == "device_lists"   # DLA/GPU placement lists: names and kinds only
            ctx.bundle.layers = layer_parser.frame_from_layer_records(lg.layer_records, detailed=not lists)
            ctx.bundle.detailed = False if lists else _frame_is_detailed(ctx.bundle.layers)
            if lists:
                ctx.bundle.extras["layer_order"] = lg.layer_order
            ctx.bundle.notes.append(f"layers read from the layer information printed in {p.name}")
            return


def _profile_from_logs(ctx: LoadContext) -> None:
    log_profiles = [(p, lg) for p, lg in ctx.logs if not lg.profile.empty]
    if log_profiles:
        p, lg = log_profiles[0]
        ctx.bundle.profile = lg.profile
        ctx.bundle.extras["profile_iterations"] = lg.profile_iterations
        ctx.bundle.extras["profile_source"] = "dumpProfile"   # its Total row is the per-layer total (layer_total)
        ctx.bundle.extras["profile_total_row"] = lg.profile_total
        ctx.bundle.extras["profile_total_text"] = lg.profile_total_text   # as printed, for the basis text
        ctx.bundle.notes.append(f"per-layer times read from the --dumpProfile table in {p.name}")


def apply_layer_info(ctx: LoadContext, paths: list[Path]) -> None:
    """``--exportLayerInfo`` / inspector JSON: the layers (detailed or names-only)."""
    from trtinspect.parsers import layers as layer_parser

    bundle = ctx.bundle
    p = paths[0]
    meta, frame = layer_parser.parse_layer_info(p)
    bundle.layers = frame
    bundle.detailed = bool(meta.detailed)
    ctx.bindings = meta.bindings
    _note(bundle, p, getattr(meta, "notes", None) or [])
    _add_source(bundle, "layer_info", p)
    if not bundle.detailed and not any("names-only" in n for n in bundle.notes):
        bundle.notes.append(f"{p.name}: names-only layer information (built without "
                            "--profilingVerbosity=detailed): layer types, precisions and tensors unknown")


def apply_profile(ctx: LoadContext, paths: list[Path]) -> None:
    """``--exportProfile``: per-layer average times (joined to layers by name once, on the bundle)."""
    from trtinspect.parsers.profile import parse_profile

    bundle = ctx.bundle
    p = paths[0]
    meta, frame = parse_profile(p)
    bundle.profile = frame
    bundle.extras["profile_iterations"] = meta.count
    if meta.damaged:  # incomplete evidence (truncated, records lost): refused for every command and the upload
        raise TrtInspectError(
            f"incomplete layer profile: {meta.damaged[0]} (only {meta.n_records} complete layer record(s))",
            path=p,
            hint="re-export it with trtexec --exportProfile=FILE (a truncated copy or an interrupted export), or "
                 "leave it out to use the rest of the bundle")
    _note(bundle, p, meta.notes)
    _add_source(bundle, "profile", p)
    log_profiles = [lp for lp, lg in ctx.logs if not lg.profile.empty]
    if log_profiles:
        bundle.notes.append(f"per-layer times taken from {p.name}; the --dumpProfile table in "
                            f"{log_profiles[0].name} was not used")


def apply_times(ctx: LoadContext, paths: list[Path]) -> None:
    """``--exportTimes``: per-iteration H2D / compute / D2H / latency."""
    from trtinspect.parsers.times import parse_times

    bundle = ctx.bundle
    for p in paths:
        meta, frame = parse_times(p)
        bundle.times = frame
        bundle.extras["times_era"] = meta.era
        _note(bundle, p, meta.notes)
        _add_source(bundle, "times", p)


def layers_from_profile_names(bundle: EngineBundle) -> None:
    """After every kind: no layer information but a profile -> the layers are the profiled names."""
    if bundle.layers.empty and not bundle.profile.empty:
        from trtinspect.parsers import layers as layer_parser

        bundle.layers = layer_parser.frame_from_names([str(n) for n in bundle.profile["name"]])
        bundle.detailed = False
        bundle.notes.append("no layer information: layers are the profiled names (types, precisions and "
                            "tensors unknown; export with --profilingVerbosity=detailed --exportLayerInfo)")


def load_nsys(by_kind: dict[str, list[Path]], name: str | None, progress: Progress | None = None) -> EngineBundle:
    """Nsight Systems input is a whole bundle: ONE SQLite export (optionally with the engine's layer-information
    JSON), or any number of ``nsys stats --format csv`` reports (see :mod:`trtinspect.parsers.nsys.bundle`)."""
    from trtinspect.parsers.nsys import bundle as nsys_bundle

    return nsys_bundle.from_nsys_files(by_kind, name=name, progress=progress)


# ------------------------------------------------------------------------------------------------- the table
def _json(bracket: str, pattern: str, priority: int) -> JsonRule:
    return JsonRule(bracket, re.compile(pattern), priority)


KINDS: tuple[InputKind, ...] = (
    InputKind("engine", "a serialized TensorRT engine (.engine / .plan / .trt)",
              "binary content with an engine file name suffix", single=False, apply=apply_engine),
    InputKind("trex_build_metadata", "TREx build metadata (process_engine.py)",
              _json("{", _KEY.format("build_options") + "|" + _KEY.format("model_options"), 2),
              apply=apply_build_metadata),
    InputKind("trex_profile_metadata", "TREx profile metadata: trtexec's performance summary",
              _json("{", _KEY.format("performance_summary"), 1), apply=apply_profile_metadata),
    InputKind("trex_device_metadata", "TREx device metadata: CUDA device properties",
              _json("[", _KEY.format("ComputeCapability") + "|" + _KEY.format("TotalMemory"), 5),
              apply=apply_device_metadata),
    InputKind("trtexec_log", "trtexec stdout of any TensorRT era", "text: trtexec_log.looks_like_trtexec_log",
              single=False, apply=apply_logs),
    InputKind("layer_info", "--exportLayerInfo / inspector layer information JSON",
              _json("{", _KEY.format("Layers"), 0), apply=apply_layer_info),
    InputKind("profile", "--exportProfile per-layer times JSON",
              _json("[", r'^\[\s*\{\s*"count"\s*:|' + _KEY.format("averageMs"), 3), apply=apply_profile),
    InputKind("times", "--exportTimes per-iteration times JSON",
              _json("[", _KEY.format("startComputeMs") + "|" + _KEY.format("computeMs") + "|"
                    + _KEY.format("latencyMs"), 4), apply=apply_times),
    InputKind("nsys_sqlite", "nsys SQLite export", "binary: SQLite header without trtinspect's tables",
              load_with=load_nsys),
    InputKind("nsys_stats_csv", "nsys stats --format csv report",
              "text: nsys.stats_csv.looks_like_nsys_stats_csv (an nsys stats header in the first lines)",
              single=False, load_with=load_nsys),
    InputKind("trtinspect_history", "trtinspect's own check-history database (check --record)",
              "binary: SQLite header with trtinspect's history tables", engine_data=False),
    InputKind("nsys_rep", "an Nsight Systems report (.nsys-rep / .qdstrm / .qdrep)", "file name suffix",
              refuse=("an nsys report is a binary capture trtinspect cannot read directly",
                      "export it first: " + NSYS_EXPORT)),
)
BY_NAME: dict[str, InputKind] = {k.name: k for k in KINDS}
UNKNOWN = "unknown"
# (kind, rule) of every JSON kind, in the order the sniffer tries them
JSON_RULES: list[tuple[str, JsonRule]] = sorted(
    ((k.name, k.detect) for k in KINDS if isinstance(k.detect, JsonRule)), key=lambda item: item[1].priority)
# kinds of which one engine can have only one file
SINGLE_KINDS: tuple[str, ...] = tuple(k.name for k in KINDS if k.single)
