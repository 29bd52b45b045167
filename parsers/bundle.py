"""The loader: turn whatever files a user has for ONE engine into an :class:`EngineBundle`.

``load(*paths)`` accepts a bundle directory, an ``X.engine``/``.plan``/``.trt`` file with sidecar files beside
it, explicit files (classified by content, see :mod:`trtinspect.parsers.sniff`), or ``sample:NAME``.
Profile rows are joined to layers by name (:func:`trtinspect.parsers.join.join_profile`, once per bundle), never
by position. Every file used is recorded in ``bundle.sources`` and every assumption in ``bundle.notes``. See
docs/bundles.md.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trtinspect import samples
from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.parsers import _io, sniff
from trtinspect.parsers.device import merge_device
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.trtexec_log import looks_json

log = logging.getLogger(__name__)

ENGINE_SUFFIXES = sniff.ENGINE_SUFFIXES
# Environment override of the per-file size limit (bytes); the library argument wins.
MAX_BYTES_ENV = "TRTINSPECT_MAX_FILE_BYTES"
# Kinds of which one engine can have only one file.
SINGLE_KINDS = ("layer_info", "profile", "times", "trex_build_metadata", "trex_profile_metadata",
                "trex_device_metadata")
# Parts a trtexec log can contribute; two logs giving the same part cannot be merged.
LOG_PARTS: dict[str, Callable[[Any], bool]] = {
    "summary": lambda lg: not lg.summary.empty,
    "profile": lambda lg: not lg.profile.empty,
    "layers": lambda lg: bool(lg.layer_records),
}
EXPORT_COMMAND = (
    "trtexec --loadEngine={e} --profilingVerbosity=detailed --exportLayerInfo={e}.graph.json "
    "--exportProfile={e}.profile.json --exportTimes={e}.timing.json --separateProfileRun --dumpProfile"
)
NSYS_EXPORT = "nsys export --type sqlite --output {stem}.sqlite {name}"
# Sidecars of an engine S.engine: S.engine.* (TREx), S.*, layers_S.json / profile_S.json / times_S.json.
_PAIRED = re.compile(r"^(?:layers|profile|times)_(?P<key>.+)\.json$")
_ENGINE_KEY = re.compile(r"^(?P<key>.+?\.(?:engine|plan|trt))(?:\..+)?$")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: str
    found: bool = False  # found by scanning a folder (not named by the user): skipped with a note if bad


# ----------------------------------------------------------------------------------------------- entry point
# Reads a serialized engine that has no sidecar files (e.g. TensorRT, :mod:`trtinspect.capture.trt_backend`);
# returns None when it cannot (no TensorRT). Passed in by the caller: the loader never imports capture code.
EngineReader = Callable[[Path], "EngineBundle | None"]


def load(*paths: str | Path, name: str | None = None, max_file_bytes: int | None = None,
         engine_reader: EngineReader | None = None, terminal_progress: bool = False) -> EngineBundle:
    """Load ONE engine bundle: a directory, an engine file with sidecars, explicit files or ``sample:NAME``.

    ``engine_reader`` reads an engine file that has no sidecars (``trtinspect.load`` passes the TensorRT
    backend); ``terminal_progress`` draws a progress bar on a terminal while a long nsys export loads (the
    command line sets it; library callers get no output). Raises :class:`TrtInspectError` for missing,
    unreadable, ambiguous or unsupported input.
    """
    if not paths:
        raise TrtInspectError("no input given",
                              hint="pass a bundle directory, an engine file or exported files")
    limit = _size_limit(max_file_bytes)
    files, label, engine = collect(paths)
    skipped = [f.path for f in files if f.kind == HISTORY_KIND]  # only ever found in a folder (see collect)
    files = [f for f in files if f.kind != HISTORY_KIND]
    if len(files) == 1 and files[0].kind == "nsys_sqlite":
        _check_size(files[0].path, limit)
        bundle = _load_nsys(files[0].path, terminal_progress)
    else:
        with gc_paused():
            bundle = from_files(files, name=name or label, max_file_bytes=limit, engine=engine,
                                engine_reader=engine_reader)
    bundle.notes.extend(f"skipped {p.name}: {HISTORY_NOTE}" for p in skipped)
    return bundle


def _size_limit(explicit: int | None) -> int:
    if explicit is not None:
        return explicit
    env = os.environ.get(MAX_BYTES_ENV)
    if env:
        try:
            return int(env)
        except ValueError:
            raise TrtInspectError(
                f"environment variable {MAX_BYTES_ENV}={env!r} is not a byte count") from None
    return _io.MAX_JSON_BYTES


def _check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise TrtInspectError(
            f"file is {size / 1024**2:.1f} MiB, over the {limit / 1024**2:.1f} MiB limit",
            path=path, hint=f"pass a smaller export or raise the limit ({MAX_BYTES_ENV} or max_file_bytes=)",
        )


# ------------------------------------------------------------------------------------------- finding files
HISTORY_KIND = "trtinspect_history"
HISTORY_NOTE = "a trtinspect check-history database, not engine data (read it with `trtinspect history --db FILE`)"


def _resolve(arg: str | Path) -> Path:
    p = samples.resolve(arg) if isinstance(arg, str) else Path(arg)
    return p


def _engine_key(filename: str) -> str | None:
    m = _ENGINE_KEY.match(filename)
    if m:
        return m.group("key")
    m = _PAIRED.match(filename)
    if m:
        return m.group("key")
    return None


def _classify(path: Path, *, found: bool = False) -> SourceFile:
    return SourceFile(path, sniff.detect_kind(path), found)


def collect(paths: Sequence[str | Path]) -> tuple[list[SourceFile], str, Path | None]:
    """Expand the user's arguments into classified files of one engine: (files, default name, engine path)."""
    resolved = [_resolve(a) for a in paths]
    if len(resolved) == 1:
        p = resolved[0]
        if p.is_dir():
            files = _from_directory(p)
            return files, _name_from(files, p.name), None
        if p.name.lower().endswith(ENGINE_SUFFIXES) and (not p.exists() or sniff.detect_kind(p) == "engine"):
            files = _from_engine(p)
            return files, _strip_engine_suffix(p.name), p
    files = []
    for p in resolved:
        if p.is_dir():
            raise TrtInspectError("is a directory; pass either one directory or explicit files", path=p)
        if not p.exists():
            if p.name.lower().endswith(ENGINE_SUFFIXES):
                files.extend(_from_engine(p))
                continue
            raise TrtInspectError("no such file", path=p, hint="check the path")
        files.append(_classify(p))
    for f in files:
        if f.kind == "unknown":
            raise _unknown_file(f.path)
        if f.kind == HISTORY_KIND:
            raise TrtInspectError("is a trtinspect check-history database, not engine data", path=f.path,
                                  hint=f"read it with `trtinspect history --db {f.path}`")
    engine = next((f.path for f in files if f.kind == "engine"), None)
    return files, _name_from(files, resolved[0].stem), engine


def _unknown_file(path: Path) -> TrtInspectError:
    """Why a file the user named is not readable, in one line."""
    head = _io.without_bom(sniff.read_head(path))
    hint = "pass the files trtexec wrote (--exportLayerInfo/--exportProfile/--exportTimes, its stdout)"
    if not head.strip():
        return TrtInspectError("file is empty", path=path, hint="re-run the export that wrote it")
    if _io.looks_binary(head):
        return TrtInspectError(
            "binary data that is not a TensorRT engine (.engine/.plan/.trt) or an nsys SQLite export",
            path=path, hint=hint)
    text = head.decode("utf-8", errors="replace")
    what = "JSON, but not a TensorRT/trtexec export" if looks_json(text) else "not a trtexec log"
    return TrtInspectError(
        f"{what} (trtinspect reads layer information, profile and times JSON, trtexec logs, TREx metadata, "
        "nsys SQLite)", path=path, hint=hint)


def require_detailed(bundle: EngineBundle, why: str = "this needs per-layer tensors and formats") -> None:
    """Raise :class:`TrtInspectError` unless the bundle's layers come from detailed layer information."""
    if bundle.detailed:
        return
    candidates = (bundle.sources.get("layer_info") or bundle.sources.get("trtexec_log")
                  or bundle.sources.get("profile") or [])
    source = candidates[0] if candidates else None
    problem = ("layer information is names-only (engine built without --profilingVerbosity=detailed)"
               if not bundle.layers.empty else "no layer information")
    raise TrtInspectError(
        f"{problem}: {why}", path=source,
        hint="rebuild with trtexec --profilingVerbosity=detailed and export "
             "--exportLayerInfo=X.engine.graph.json",
    )


def _strip_engine_suffix(filename: str) -> str:
    lower = filename.lower()
    for suffix in ENGINE_SUFFIXES:
        if lower.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def _name_from(files: Iterable[SourceFile], fallback: str) -> str:
    keys = {_strip_engine_suffix(k) for f in files if (k := _engine_key(f.path.name))}
    if len(keys) == 1:
        return keys.pop()
    return fallback


def _from_directory(directory: Path) -> list[SourceFile]:
    entries = sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    classified = [_classify(p, found=True) for p in entries]
    known = [f for f in classified if f.kind not in ("unknown", HISTORY_KIND)]
    if not known:
        raise TrtInspectError("holds no TensorRT/trtexec files", path=directory, hint=_directory_hint(directory))
    # `model.engine` and its `layers_model.json` pairing are one engine: group keys by their engine stem,
    # and name each engine by a path `load` accepts (an engine-suffixed key, else STEM.engine)
    engines: dict[str, str] = {}
    for f in known:
        if (k := _engine_key(f.path.name)) is not None:
            stem = _strip_engine_suffix(k)
            if k != stem or stem not in engines:
                engines[stem] = k if k != stem else stem + ".engine"
    keys = sorted(engines.values())
    if len(keys) > 1:
        raise TrtInspectError(
            f"holds files of {len(keys)} engines ({', '.join(keys)})", path=directory,
            hint=f"name one engine, e.g. {samples.display(directory / keys[0])}, or pass its files explicitly",
        )
    return known + [f for f in classified if f.kind == HISTORY_KIND]


def _directory_hint(directory: Path) -> str:
    """What to pass instead of a folder without engine files: a sample name, a subfolder, or the export."""
    inside = samples.samples_under(directory)
    if inside:
        return (f"name one of its samples (subfolders or files), e.g. {samples.PREFIX}{inside[0]}; "
                "`trtinspect samples` lists them all")
    if samples.sample_name(directory) is not None:
        return "not a sample folder; `trtinspect samples` lists the samples"
    subdirs = sorted(p.name for p in directory.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    hint = (f"name one of its subfolders, e.g. {directory / subdirs[0]}" if subdirs
            else "pass the folder holding the files trtexec exported")
    if any(p.is_file() and p.suffix == ".sqlite" and sniff.detect_kind(p) == HISTORY_KIND
           for p in directory.iterdir()):
        hint += f" ({HISTORY_NOTE.replace('FILE', 'FILE.sqlite')})"
    return hint


def _from_engine(engine: Path) -> list[SourceFile]:
    """Sidecar files of ``engine`` (the engine file itself need not exist when its sidecars do)."""
    directory = engine.parent if str(engine.parent) else Path(".")
    key = engine.name
    stem = _strip_engine_suffix(engine.name)
    if not directory.is_dir():
        raise TrtInspectError("no such file", path=engine, hint="check the path")
    sidecars = []
    for p in sorted(directory.iterdir()):
        if not p.is_file() or p == engine:
            continue
        own_key = _engine_key(p.name)
        belongs = (p.name.startswith(key + ".") or own_key == stem
                   or (p.name.startswith(stem + ".") and own_key in (None, key)))
        if belongs:
            f = _classify(p, found=True)
            if f.kind not in ("unknown", "engine"):
                sidecars.append(f)
    if engine.exists():
        sidecars.append(SourceFile(engine, "engine"))
    elif not sidecars:
        raise TrtInspectError("no such file", path=engine, hint="check the path")
    return sidecars


# ------------------------------------------------------------------------------------------- other readers
def _load_nsys(path: Path, terminal_progress: bool = False) -> EngineBundle:
    from trtinspect.parsers.nsys import bundle as nsys_bundle

    if terminal_progress:
        with nsys_bundle.terminal_progress() as progress:
            return nsys_bundle.bundle_from_nsys(path, progress=progress)
    return nsys_bundle.bundle_from_nsys(path)


def _engine_without_sidecars(engine: Path, engine_reader: EngineReader | None) -> EngineBundle:
    """The caller's engine reader (``trtinspect.load``: TensorRT when it imports), else how to export sidecars."""
    bundle = engine_reader(engine) if engine_reader is not None else None
    if bundle is not None:
        return bundle
    raise TrtInspectError(
        "a serialized engine has no readable text and no sidecar files (X.engine.graph.json, .profile.json, "
        ".timing.json) were found beside it",
        path=engine, hint=f"export them with: {EXPORT_COMMAND.format(e=engine)}",
    )


# ------------------------------------------------------------------------------------------------- building
def from_files(files: Sequence[SourceFile], *, name: str, max_file_bytes: int | None = None,
               engine: Path | None = None, engine_reader: EngineReader | None = None) -> EngineBundle:
    """Build one bundle from classified files (the loader's second half; see :func:`load`)."""
    limit = _size_limit(max_file_bytes)
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for f in files:
        by_kind[f.kind].append(f.path)
    found = {f.path for f in files if f.found}
    for rep in by_kind.get("nsys_rep", []):
        raise TrtInspectError(
            "an nsys report is a binary capture trtinspect cannot read directly", path=rep,
            hint=f"export it first: {NSYS_EXPORT.format(stem=rep.with_suffix(''), name=rep)}",
        )
    if "nsys_sqlite" in by_kind:
        raise TrtInspectError("load an nsys SQLite export on its own, not together with other files",
                              path=by_kind["nsys_sqlite"][0])
    engines = by_kind.get("engine", [])
    if len(engines) > 1:
        raise TrtInspectError(f"{len(engines)} engine files given ({', '.join(p.name for p in engines)})",
                              hint="load one engine at a time")
    data_kinds = [k for k in by_kind if k != "engine"]
    if not data_kinds:
        return _engine_without_sidecars(engines[0] if engines else Path(name), engine_reader)
    for kind in SINGLE_KINDS:
        if len(by_kind.get(kind, [])) > 1:
            listed = ", ".join(str(p) for p in by_kind[kind])
            raise TrtInspectError(f"several {kind} files for one engine: {listed}",
                                  hint="pass one engine's files explicitly")
    for paths in by_kind.values():
        for p in paths:
            if p.exists() and p.suffix.lower() not in ENGINE_SUFFIXES:
                _check_size(p, limit)
    bundle = EngineBundle(name=name)
    if engines:
        bundle.sources["engine"] = list(engines)
    logs = _parse_logs(by_kind.get("trtexec_log", []), bundle, found)
    _apply_metadata(by_kind, bundle)
    _apply_logs(logs, bundle)
    _apply_layers(by_kind, logs, bundle)
    _apply_profile(by_kind, logs, bundle)
    _apply_times(by_kind, bundle)
    _finish(bundle)
    return bundle


def _note(bundle: EngineBundle, path: Path | None, notes: Iterable[str]) -> None:
    for n in notes:
        bundle.notes.append(f"{path.name}: {n}" if path is not None else n)


def _add_source(bundle: EngineBundle, kind: str, path: Path) -> None:
    bundle.sources.setdefault(kind, []).append(path)


def _parse_logs(paths: list[Path], bundle: EngineBundle, found: set[Path]) -> list[tuple[Path, Any]]:
    if not paths:
        return []
    from trtinspect.parsers.trtexec_log import parse_trtexec_log

    logs = []
    for p in paths:
        try:
            logs.append((p, parse_trtexec_log(p)))
        except TrtInspectError as exc:
            if p not in found:
                raise
            bundle.notes.append(f"skipped {p.name}: {exc.problem}")
    if len(logs) > 1:
        for part, has in LOG_PARTS.items():
            holders = [p for p, lg in logs if has(lg)]
            if len(holders) > 1:
                desc = "; ".join(
                    f"{p.name} ({', '.join(k for k, h in LOG_PARTS.items() if h(lg)) or 'options only'})"
                    for p, lg in logs)
                richest = max(logs, key=lambda item: sum(h(item[1]) for h in LOG_PARTS.values()))[0]
                raise TrtInspectError(
                    f"cannot tell which trtexec log belongs to the engine: {len(holders)} logs each carry a "
                    f"{part} [{desc}]", path=paths[0].parent,
                    hint=f"name one engine's files explicitly, e.g. trtinspect report {samples.display(richest)}",
                )
        versions = {lg.trt_version for _, lg in logs if lg.trt_version}
        if len(versions) > 1:
            raise TrtInspectError(f"the trtexec logs come from different TensorRT versions "
                                  f"({sorted(versions)})",
                                  path=paths[0].parent, hint="pass the logs of one engine only")
        bundle.notes.append(f"merged {len(logs)} trtexec logs: {', '.join(p.name for p, _ in logs)}")
    for p, _ in logs:
        _add_source(bundle, "trtexec_log", p)
    return logs


def _apply_metadata(by_kind: dict[str, list[Path]], bundle: EngineBundle) -> None:
    from trtinspect.parsers import metadata

    for p in by_kind.get("trex_build_metadata", []):
        bm = metadata.parse_build_metadata(p)
        bundle.model_options.update(bm.model_options)
        bundle.build_options.update(bm.build_options)
        _merge_device(bundle, bm.device_information, override=True)
        _add_source(bundle, "trex_build_metadata", p)
    for p in by_kind.get("trex_profile_metadata", []):
        pm = metadata.parse_profile_metadata(p)
        bundle.summary = pm.summary
        bundle.inference_options.update(pm.inference_options)
        _merge_device(bundle, pm.device_information, override=True)
        if pm.tool.get("tensorrt_version"):
            bundle.trt_version = str(pm.tool["tensorrt_version"])
        if pm.gpu_state:
            bundle.extras["gpu_state"] = pm.gpu_state
            bundle.notes.extend(f"GPU state: {w}" for w in pm.gpu_state.get("warnings") or [])
        bundle.extras["summary_source"] = p
        _note(bundle, p, pm.notes)
        _add_source(bundle, "trex_profile_metadata", p)
    for p in by_kind.get("trex_device_metadata", []):
        dm = metadata.parse_device_metadata(p)
        bundle.extras["device_properties"] = dm.devices
        _merge_device(bundle, dm.first)
        _add_source(bundle, "trex_device_metadata", p)


def _apply_logs(logs: list[tuple[Path, Any]], bundle: EngineBundle) -> None:
    warnings = []
    for p, lg in logs:
        bundle.trt_version = bundle.trt_version or lg.trt_version
        pairs = ((bundle.model_options, lg.model_options), (bundle.build_options, lg.build_options),
                 (bundle.inference_options, lg.inference_options))
        for target, source in pairs:
            for k, v in (source or {}).items():
                target.setdefault(k, v)
        _merge_device(bundle, lg.device or {})
        if not lg.summary.empty:
            if not bundle.summary.empty:
                bundle.notes.append(f"performance summary taken from {p.name} (the trtexec log), not from "
                                    f"{Path(bundle.extras.get('summary_source', '')).name}")
            bundle.summary = lg.summary
            bundle.extras["summary_source"] = p
        if not lg.warnings.empty:
            warnings.append(lg.warnings)
        if lg.command:
            bundle.extras.setdefault("commands", []).append(lg.command)
        _note(bundle, p, getattr(lg, "notes", None) or [])
    if warnings:
        bundle.warnings = pd.concat(warnings, ignore_index=True) if len(warnings) > 1 else warnings[0]


def _apply_layers(by_kind: dict[str, list[Path]], logs: list[tuple[Path, Any]], bundle: EngineBundle) -> None:
    from trtinspect.parsers import layers as layer_parser

    if by_kind.get("layer_info"):
        p = by_kind["layer_info"][0]
        meta, frame = layer_parser.parse_layer_info(p)
        bundle.layers = frame
        bundle.detailed = bool(getattr(meta, "detailed", _frame_is_detailed(frame)))
        _note(bundle, p, getattr(meta, "notes", None) or [])
        _add_source(bundle, "layer_info", p)
        if not bundle.detailed and not any("names-only" in n for n in bundle.notes):
            bundle.notes.append(f"{p.name}: names-only layer information (built without "
                                "--profilingVerbosity=detailed): layer types, precisions and tensors unknown")
        return
    for p, lg in logs:
        if lg.layer_records:
            bundle.layers = layer_parser.frame_from_layer_records(lg.layer_records, detailed=True)
            bundle.detailed = _frame_is_detailed(bundle.layers)
            bundle.notes.append(f"layers read from the layer information printed in {p.name}")
            return


def _frame_is_detailed(frame: pd.DataFrame) -> bool:
    if frame.empty or "layer_type" not in frame:
        return False
    return bool(frame["layer_type"].fillna("").ne("").any())


def _apply_profile(
    by_kind: dict[str, list[Path]], logs: list[tuple[Path, Any]], bundle: EngineBundle
) -> None:
    from trtinspect.parsers.profile import parse_profile

    log_profiles = [(p, lg) for p, lg in logs if not lg.profile.empty]
    if by_kind.get("profile"):
        p = by_kind["profile"][0]
        meta, frame = parse_profile(p)
        bundle.profile = frame
        bundle.extras["profile_iterations"] = meta.count
        if meta.damaged:  # incomplete evidence: readers note it, `check` refuses it
            bundle.extras.setdefault("damaged", []).append((p, "; ".join(meta.damaged)))
        _note(bundle, p, meta.notes)
        _add_source(bundle, "profile", p)
        if log_profiles:
            bundle.notes.append(f"per-layer times taken from {p.name}; the --dumpProfile table in "
                                f"{log_profiles[0][0].name} was not used")
    elif log_profiles:
        p, lg = log_profiles[0]
        bundle.profile = lg.profile
        bundle.extras["profile_iterations"] = lg.profile_iterations
        bundle.notes.append(f"per-layer times read from the --dumpProfile table in {p.name}")
    if bundle.layers.empty and not bundle.profile.empty:
        from trtinspect.parsers import layers as layer_parser

        bundle.layers = layer_parser.frame_from_names([str(n) for n in bundle.profile["name"]])
        bundle.detailed = False
        bundle.notes.append("no layer information: layers are the profiled names (types, precisions and "
                            "tensors unknown; export with --profilingVerbosity=detailed --exportLayerInfo)")


def _apply_times(by_kind: dict[str, list[Path]], bundle: EngineBundle) -> None:
    from trtinspect.parsers.times import parse_times

    for p in by_kind.get("times", []):
        meta, frame = parse_times(p)
        bundle.times = frame
        bundle.extras["times_era"] = meta.era
        _note(bundle, p, meta.notes)
        _add_source(bundle, "times", p)


def _merge_device(bundle: EngineBundle, raw: dict[str, Any], *, override: bool = False) -> None:
    """Device facts in one vocabulary (parsers.device); the raw dicts stay in ``extras["device_raw"]``."""
    if raw:
        bundle.extras.setdefault("device_raw", []).append(dict(raw))
        merge_device(bundle.device, raw, override=override)


def _finish(bundle: EngineBundle) -> None:
    if not bundle.profile.empty and not bundle.layers.empty:
        unmatched_profile = bundle.unmatched_profile = bundle.joined().unmatched_profile
        unmatched_layers = bundle.unmatched_layers = bundle.joined().unmatched_layers
        if unmatched_profile:
            bundle.notes.append(f"{len(unmatched_profile)} profiled name(s) match no layer (kept out of "
                                "per-layer tables): " + ", ".join(repr(n) for n in unmatched_profile[:3]))
        if unmatched_layers:
            bundle.notes.append(f"{len(unmatched_layers)} layer(s) have no profiled time")
        if len(unmatched_profile) == len(bundle.profile) and len(unmatched_layers) == len(bundle.layers):
            layer_src = bundle.sources.get("layer_info") or bundle.sources.get("trtexec_log") or []
            prof_src = bundle.sources.get("profile") or bundle.sources.get("trtexec_log") or []
            files = " and ".join(p[0].name for p in (layer_src, prof_src) if p)
            bundle.notes.insert(0, f"no profiled name matches any layer: different engines? ({files})")
    if bundle.layers.empty:
        bundle.notes.append("no layer information in these files")
    if bundle.trt_version is None:
        bundle.notes.append(
            "TensorRT version not found in these files (trtexec logs print it on the "
            "`&&&& RUNNING TensorRT.trtexec [TensorRT vXXXX]` line; excerpts and exported JSON do not carry it)")
