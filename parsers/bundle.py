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
import stat
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtinspect import samples
from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.parsers import _io, kinds, sniff
from trtinspect.parsers.join import FOREIGN_NODE, leftovers
from trtinspect.parsers.kinds import EngineReader as EngineReader  # re-exported for the app (see below)
from trtinspect.parsers.model import EngineBundle
from trtinspect.textfmt import short_name

log = logging.getLogger(__name__)

ENGINE_SUFFIXES = sniff.ENGINE_SUFFIXES
# Environment override of the per-file size limit (bytes); the library argument wins.
MAX_BYTES_ENV = "TRTINSPECT_MAX_FILE_BYTES"
EXPORT_COMMAND = kinds.EXPORT_COMMAND
# Sidecars of an engine S.engine: S.engine.* (TREx), S.*, layers_S.json / profile_S.json / times_S.json.
_PAIRED = re.compile(r"^(?:layers|profile|times)_(?P<key>.+)\.json$")
_ENGINE_KEY = re.compile(r"^(?P<key>.+?\.(?:engine|plan|trt))(?:\..+)?$")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: str
    found: bool = False  # found by scanning a folder (not named by the user): skipped with a note if bad


# ----------------------------------------------------------------------------------------------- entry point
# EngineReader: the caller's reader of an engine without sidecars (kinds.apply_engine). Imported above, not assigned
# here (EngineReader = kinds.EngineReader): mypy run on the source folders takes such an assignment for a variable,
# not a type alias ("not valid as a type").


def load(*paths: str | Path, name: str | None = None, max_file_bytes: int | None = None,
         engine_reader: EngineReader | None = None, progress: kinds.Progress | None = None) -> EngineBundle:
    """Load ONE engine bundle: a directory, an engine file with sidecars, explicit files or ``sample:NAME``.

    ``engine_reader`` reads an engine file that has no sidecars (``trtinspect.load`` passes the TensorRT
    backend); ``progress(stage, done, total)`` is called while a long nsys export loads (the command line passes
    a callback drawing a progress bar; nothing here draws or prints). Raises :class:`TrtInspectError` for missing,
    unreadable, ambiguous or unsupported input.
    """
    if not paths:
        raise TrtInspectError("no input given",
                              hint="pass a bundle directory, an engine file or exported files")
    limit = _size_limit(max_file_bytes)
    files, label, engine = collect(paths)
    skipped = [f.path for f in files if not _is_engine_data(f.kind)]  # only ever found in a folder (collect)
    files = [f for f in files if _is_engine_data(f.kind)]
    alone = kinds.BY_NAME[files[0].kind].load_alone if len(files) == 1 else None
    group = next((row.load_with for f in files if (row := kinds.BY_NAME.get(f.kind)) and row.load_with), None)
    if group is not None:
        by_kind: dict[str, list[Path]] = defaultdict(list)
        for f in files:
            _check_size(f.path, limit)
            by_kind[f.kind].append(f.path)
        bundle = group(dict(by_kind), name, progress)
    elif alone is not None:
        _check_size(files[0].path, limit)
        bundle = alone(files[0].path, progress)
    else:
        with gc_paused():
            bundle = from_files(files, name=name or label, max_file_bytes=limit, engine=engine,
                                engine_reader=engine_reader)
    bundle.notes.extend(f"skipped {p.name}: {HISTORY_NOTE}" for p in skipped)
    return bundle


def _size_limit(explicit: int | None) -> int:
    """The per-file size limit: ``max_file_bytes=``, else $TRTINSPECT_MAX_FILE_BYTES, else the default; a limit
    that is not a positive whole number of bytes is refused (``-1`` would refuse every file, saying so badly)."""
    if explicit is not None:
        if isinstance(explicit, bool) or not isinstance(explicit, int) or explicit <= 0:
            raise TrtInspectError(f"max_file_bytes={explicit!r} is not a positive byte count",
                                  hint="give the largest file size to read, in bytes, e.g. 2147483648")
        return explicit
    env = os.environ.get(MAX_BYTES_ENV)
    if env:
        try:
            limit = int(env)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise TrtInspectError(f"environment variable {MAX_BYTES_ENV}={env!r} is not a positive byte count",
                                  hint=f"set it to the largest file size to read, in bytes (e.g. "
                                       f"{_io.MAX_JSON_BYTES}), or unset it")
        return limit
    return _io.MAX_JSON_BYTES


def _check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise TrtInspectError(
            f"file is {_io.byte_count(size)}, over the limit of {_io.byte_count(limit)}",
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
            if p.is_symlink():    # exists() follows links: a loop or a dangling link is not "no such file"
                raise TrtInspectError("is a symbolic link that leads to no file (a link loop or a missing target)",
                                      path=p, hint="check where the link points (ls -l)")
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


def _unknown_file(path: Path, found: bool = False) -> TrtInspectError:
    """Why a file the user named (or a folder's file its name picks, ``found``) is not readable, in one line."""
    head = _io.without_bom(sniff.read_head(path))
    hint = "pass the files trtexec wrote (--exportLayerInfo/--exportProfile/--exportTimes, its stdout)"
    if found:
        hint += "; its name makes it one of the engine's files: replace it, or move it out of the folder"
    if not head.strip():
        return TrtInspectError("file is empty", path=path, hint="re-run the export that wrote it" + (
            " (or move it out of the folder)" if found else ""))
    if _io.looks_binary(head):
        return TrtInspectError(
            "binary data that is not a TensorRT engine (.engine/.plan/.trt) or an nsys SQLite export",
            path=path, hint=hint)
    from trtinspect.parsers.trtexec_log import json_scalar, looks_json  # for this message: not at start-up

    text = head.decode("utf-8", errors="replace")
    scalar = json_scalar(text)   # `null`, a number: JSON, but no file trtexec writes
    what = (f"{scalar}, not an engine's files" if scalar else
            "JSON, but not a TensorRT/trtexec export" if looks_json(text) else
            "not JSON" if path.suffix.lower() == ".json" else "not a trtexec log")
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
    _refuse_unreadable_by_name(classified)
    known = [f for f in classified if f.kind not in ("unknown", HISTORY_KIND)]
    if not known:
        raise _no_engine_files(directory)
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


# Suffixes of the files an engine's name picks out of a folder (X.engine.graph.json, X.engine.profile.log,
# layers_X.json): what TREx and trtexec write. Other files of the folder (notes, pictures) are not engine data.
_EXPORT_SUFFIXES = (".json", ".log")


def _refuse_unreadable_by_name(files: Sequence[SourceFile]) -> None:
    """A file a folder or an engine's name picks by its name (``X.engine.graph.json``, ``X.engine.build.log``)
    whose content is no TensorRT/trtexec data - empty, not JSON, JSON of no known export, binary - is refused
    as if named (:func:`_unknown_file`): dropping it would load the rest as if the export had never been made
    (an empty profile gave an end-to-end-only PASS, a damaged graph a report without layers)."""
    for f in files:
        if f.kind == "unknown" and f.path.suffix.lower() in _EXPORT_SUFFIXES and _engine_key(f.path.name):
            raise _unknown_file(f.path, found=True)


# Folder hints look one level down, at most this many subfolders and files in each (a hint, not a search).
_HINT_MAX_DIRS, _HINT_MAX_FILES, _HINT_LISTED = 200, 100, 8


def _no_engine_files(directory: Path) -> TrtInspectError:
    """A folder without engine files: its subfolders that hold some (named, each with a path that loads), a
    sample name, else the export."""
    bundles = _subfolders_with_engine_files(directory)
    if bundles:
        listed = ", ".join(b[0] for b in bundles[:_HINT_LISTED]) + (
            f", ... ({len(bundles) - _HINT_LISTED} more)" if len(bundles) > _HINT_LISTED else "")
        what = "a bundle in a subfolder" if len(bundles) == 1 else f"{len(bundles)} bundles in subfolders"
        if any(b[2] for b in bundles):      # not every subfolder is one bundle: say what each holds
            what = f"engine files in {len(bundles)} subfolder{'s' if len(bundles) != 1 else ''}"
        # a folder that loads as it is first, then one a level down, then a single file
        best = min(bundles, key=lambda b: b[2])
        return TrtInspectError(f"this folder holds {what}: {listed}", path=directory,
                               hint=f"give one, e.g. {samples.display(directory / best[1])}")
    return TrtInspectError("holds no TensorRT/trtexec files", path=directory, hint=_directory_hint(directory))


def _subdirs(directory: Path) -> list[Path]:
    """Subfolders of ``directory`` a hint may look into: same file system, not hidden, not links."""
    try:
        device = directory.stat().st_dev
        subdirs = sorted(p for p in directory.iterdir()
                         if not p.name.startswith((".", "_")) and p.is_dir() and not p.is_symlink())
        return [p for p in subdirs[:_HINT_MAX_DIRS] if p.stat().st_dev == device]
    except OSError:
        return []


def _engine_files_in(sub: Path) -> list[tuple[Path, str]]:
    """(file, kind) of the recognised engine files directly in ``sub`` (at most _HINT_MAX_FILES looked at)."""
    try:
        entries = sorted(sub.iterdir())[:_HINT_MAX_FILES]
    except OSError:
        return []
    return [(p, kind) for p in entries if (kind := _engine_file_kind(p)) is not None]


# How a folder hint names several files of one kind (logs of several runs, two exports).
_HINT_NOUNS = {"trtexec_log": "trtexec logs", "nsys_sqlite": "Nsight Systems exports",
               "nsys_stats_csv": "nsys stats reports"}


def _folder_hint(sub: Path, name: str) -> tuple[str, str, int] | None:
    """(how the listing names ``sub``, the path under the parent to suggest, rank) when ``sub`` holds engine
    files. A folder holding two files of one kind (two Nsight Systems exports, logs of several trtexec runs)
    does not load as one bundle: the suggestion is one of those files. Rank 0: the folder loads; 2: a file."""
    files = _engine_files_in(sub)
    if not files:
        return None
    found = [k for _, k in files]
    repeated = next((k for k in found if found.count(k) > 1), None)
    if repeated is None:
        return name, name, 0
    first = next(p for p, k in files if k == repeated)
    what = _HINT_NOUNS.get(repeated, f"files of one kind ({repeated})")
    return f"{name} ({found.count(repeated)} {what}: name one)", f"{name}/{first.name}", 2


def _subfolders_with_engine_files(directory: Path) -> list[tuple[str, str, int]]:
    """Per subfolder directly inside ``directory`` that holds a recognised engine file (sniffed), or whose own
    subfolders do (one level further, as ``trex-a100-resnet18/fp16``): (listing text, path under
    ``directory`` to suggest, rank: 0 loads as a folder, 1 a bundle a level down, 2 a single file). Subfolders
    a level down are looked at only when some subfolder holds engine files itself.

    Subfolders on another file system (``/proc``, ``/sys`` under ``/``), hidden ones, empty files and files that
    are not regular are skipped: a hint must never hang or read a device."""
    subs = _subdirs(directory)
    direct = [_folder_hint(sub, sub.name) for sub in subs]
    if not any(direct):     # a level further only in a folder of bundles (not tests/ holding data/nsys/...)
        return []
    found = []
    for sub, hint in zip(subs, direct, strict=True):
        if hint is not None:
            found.append(hint)
            continue
        inner = [h for s in _subdirs(sub)[:_HINT_LISTED] if (h := _folder_hint(s, f"{sub.name}/{s.name}"))]
        if inner:
            best = min(inner, key=lambda h: h[2])
            many = len(inner) != 1
            n = f"{len(inner)} bundles in its subfolders" if many else "1 bundle in its subfolder"
            if best[2]:             # none of them loads as a folder
                n = f"engine files in {len(inner)} of its subfolders" if many else "engine files in its subfolder"
            found.append((f"{sub.name} ({n})", best[1], max(best[2], 1)))
    return found


def _engine_file_kind(path: Path) -> str | None:
    """The sniffed kind of a regular, non-empty, non-script file that holds engine data, else None."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0 or path.name.startswith("."):
        return None
    if sniff.read_head(path)[:2] == b"#!":  # a script (tests/fake_trtexec prints a log) is not its output
        return None
    kind = sniff.detect_kind(path)
    return kind if kind not in ("unknown", HISTORY_KIND) and _is_engine_data(kind) else None


def _directory_hint(directory: Path) -> str:
    """What to pass instead of a folder without engine files (none in its subfolders): a sample, the export."""
    inside = samples.samples_under(directory)
    if inside:
        return (f"name one of its samples (subfolders or files), e.g. {samples.PREFIX}{inside[0]}; "
                "`trtinspect samples` lists them all")
    if samples.sample_name(directory) is not None:
        return "not a sample folder; `trtinspect samples` lists the samples"
    hint = "pass the folder holding the files trtexec exported (no subfolder here holds any either)"
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
            _refuse_unreadable_by_name([f])
            if f.kind not in ("unknown", "engine"):
                sidecars.append(f)
    if engine.exists():
        sidecars.append(SourceFile(engine, "engine"))
    elif not sidecars:
        raise TrtInspectError("no such file", path=engine, hint="check the path")
    return sidecars


# ------------------------------------------------------------------------------------------- other readers
def _is_engine_data(kind: str) -> bool:
    row = kinds.BY_NAME.get(kind)
    return row is None or row.engine_data


# ------------------------------------------------------------------------------------------------- building
def from_files(files: Sequence[SourceFile], *, name: str, max_file_bytes: int | None = None,
               engine: Path | None = None, engine_reader: EngineReader | None = None) -> EngineBundle:
    """Build one bundle from classified files (the loader's second half; see :func:`load`).

    Each kind's files are applied by its row of the declared table (:data:`trtinspect.parsers.kinds.KINDS`),
    in table order.
    """
    limit = _size_limit(max_file_bytes)
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for f in files:
        by_kind[f.kind].append(f.path)
    _refuse(by_kind)
    if not by_kind:    # nothing but the engine's name: read as an engine given alone
        by_kind["engine"].append(engine or Path(name))
    for kind in kinds.SINGLE_KINDS:
        if len(by_kind.get(kind, [])) > 1:
            listed = ", ".join(str(p) for p in by_kind[kind])
            raise TrtInspectError(f"several {kind} files for one engine: {listed}",
                                  hint="pass one engine's files explicitly")
    for paths in by_kind.values():
        for p in paths:
            if p.exists() and p.suffix.lower() not in ENGINE_SUFFIXES:
                _check_size(p, limit)
    ctx = kinds.LoadContext(EngineBundle(name=name), by_kind, {f.path for f in files if f.found},
                            engine_reader=engine_reader)
    for row in kinds.KINDS:
        if row.apply is not None and by_kind.get(row.name):
            row.apply(ctx, by_kind[row.name])
    bundle = ctx.bundle   # an engine given alone: the engine reader's bundle
    kinds.layers_from_profile_names(bundle)
    _finish(bundle)
    _refuse_foreign_profile(bundle, ctx)
    _refuse_foreign_logs(bundle, ctx)
    _refuse_other_engines(files)
    return bundle


# Files whose facts a trtexec log is compared with (parsers.log_belonging): not logs, not the engine file.
_LOG_WITNESSES = ("layer_info", "profile", "times", "trex_build_metadata", "trex_profile_metadata",
                  "trex_device_metadata")


def _refuse_foreign_logs(bundle: EngineBundle, ctx: kinds.LoadContext) -> None:
    """A trtexec log merged with other files must print the same GPU, model, inputs and layer names they carry
    (:mod:`trtinspect.parsers.log_belonging`): another run's log is refused; one that cannot be judged is noted."""
    other = ctx.before_logs
    files = [p for kind in _LOG_WITNESSES for p in ctx.by_kind.get(kind, [])]
    if not ctx.logs or other is None or not files:
        return
    from trtinspect.parsers.log_belonging import check_logs

    other.files = files
    other.bindings = ctx.bindings
    if "layer_info" in bundle.sources:
        other.layer_names = [str(n) for n in bundle.layers["name"]]
    if "profile" in bundle.sources:
        other.profile_names = [str(n) for n in bundle.profile["name"]]
    times = next(iter(bundle.sources.get("times", [])), None)
    if other.summary is None and times is not None and any(not lg.summary.empty for _, lg in ctx.logs):
        from trtinspect.parsers.timing import timing_summary
        from trtinspect.parsers.trtexec_summary import contradiction

        # the log's summary (applied) vs the figures its times file recomputes; not cached on the bundle
        other.times_off = (contradiction(timing_summary(bundle).agreement), Path(times))
    bundle.notes.extend(check_logs(ctx.logs, other))


def _refuse_other_engines(files: Sequence[SourceFile]) -> None:
    """Files the user named whose names say two engines (``A.engine.graph.json`` with ``B.engine.timing.json``):
    a times or timing file holds no layer names that :func:`_refuse_foreign_profile` could check, so the names
    decide, as they do for a folder (:func:`_from_directory`)."""
    stems: dict[str, Path] = {}
    for f in files:
        if not f.found and (key := _engine_key(f.path.name)) is not None:
            stems.setdefault(_strip_engine_suffix(key), f.path)
    if len(stems) > 1:
        (a, path_a), (b, path_b) = list(stems.items())[:2]
        raise TrtInspectError(
            f"{path_a} and {path_b}: the files are of {len(stems)} engines ({a}, {b}"
            f"{', ...' if len(stems) > 2 else ''}); mixing them would pair one engine's layers with another's times",
            hint="pass one engine's files (X.engine.graph.json, X.engine.profile.json, X.engine.timing.json with "
                 "one X) or its bundle folder; files that really are one engine's: give them one name")


# A profile from another file than the layers (named by the user, found in one folder or beside an engine) is
# another engine's when (1) each file names layers the other lacks (join.Leftovers.two_engines: the A100 ResNet-18
# fp16 graph with the fp32 profile, 6 of 32 rows unmatched and 10 of 36 layers untimed), or (2) under this share
# of its rows match layer names AND those rows hold under this share of its profiled time (2 of 26 rows, 17% of
# the time, for resnet-qat's layers with resnet-qat-residual's profile). A genuine excerpt (a --dumpProfile
# excerpt in a log, a cut layer list) is a subset of the other side: it passes. Every real bundle in the
# repository matches 100% of its rows, Myelin kernels of a ForeignNode layer aside (docs/bundles.md).
MIN_MATCHED_PROFILE_SHARE = 0.5


def _refuse_foreign_profile(bundle: EngineBundle, ctx: kinds.LoadContext) -> None:
    """Refuse layers and a profile from two files that cannot be one engine's (rule above): two engines mixed.
    One rule whether the user named the files or they were found in one folder (same stem) or beside an engine."""
    if bundle.profile.empty or bundle.layers.empty:
        return
    layer_src = next(iter(bundle.sources.get("layer_info", [])), None) or _log_with(ctx, "layers")
    prof_src = next(iter(bundle.sources.get("profile", [])), None) or _log_with(ctx, "profile")
    if layer_src is None or prof_src is None or layer_src == prof_src:
        return
    joined = bundle.joined()
    rest = leftovers(joined.unmatched_profile, joined.unmatched_layers)
    times = bundle.profile["avg_ms"].to_numpy(dtype="float64", na_value=float("nan"))
    names = bundle.profile["name"].to_numpy(dtype=object)
    total = float(times[times == times].sum())
    foreign = np.isin(names, rest.foreign) if rest.myelin_parts else None
    foreign_ms = float(np.nansum(times[foreign])) if foreign is not None else joined.unmatched_profile_ms
    matched_rows = len(bundle.profile) - len(rest.foreign)
    share = (total - foreign_ms) / total if total > 0 else matched_rows / len(bundle.profile)
    where = f"{prof_src} and {layer_src}: the profile does not belong to this engine: "
    hint = ("Pass the profile exported with this engine's layer information (the same engine's "
            "X.engine.graph.json and X.engine.profile.json), or the engine's bundle folder")
    if share < MIN_MATCHED_PROFILE_SHARE and matched_rows < MIN_MATCHED_PROFILE_SHARE * len(bundle.profile):
        raise TrtInspectError(
            where + f"{matched_rows} of {len(bundle.profile)} profiled layers match its layer names "
            f"({100 * share:.1f}% of the profiled time, under {MIN_MATCHED_PROFILE_SHARE:.0%})", hint=hint)
    if rest.two_engines():
        examples = ", ".join(repr(short_name(n)) for n in rest.foreign[:2])
        raise TrtInspectError(
            where + f"{len(rest.foreign)} of {len(bundle.profile)} profiled names match no layer ({examples}"
            f"{', ...' if len(rest.foreign) > 2 else ''}) and {len(rest.untimed)} of {len(bundle.layers)} layers "
            "have no profiled time: each file names layers the other lacks (another build or network, or an edited "
            "file)",
            hint=hint)
    if rest.myelin_parts:
        nodes = sum(n.startswith(FOREIGN_NODE) for n in joined.unmatched_layers)
        bundle.notes.append(
            f"{len(rest.myelin_parts)} profiled name(s) are Myelin kernels (e.g. "
            f"{short_name(rest.myelin_parts[0])!r}) of the {nodes} {{ForeignNode[...]}} "
            "layer(s), which the layer information lists as one layer each: their time is shown as profiled, not "
            "in layers (layer information exported with --profilingVerbosity=detailed names the kernels)")


def _log_with(ctx: kinds.LoadContext, part: str) -> Path | None:
    """The trtexec log that gave the bundle its layers or its profile, if one did."""
    return next((p for p, lg in ctx.logs if kinds.LOG_PARTS[part](lg)), None)


def _refuse(by_kind: dict[str, list[Path]]) -> None:
    """Kinds that cannot be read (with what to do), and kinds that must be loaded on their own."""
    for row in kinds.KINDS:
        paths = by_kind.get(row.name, [])
        if paths and row.refuse is not None:
            problem, hint = row.refuse
            raise TrtInspectError(problem, path=paths[0],
                                  hint=hint.format(stem=paths[0].with_suffix(""), name=paths[0]))
        if paths and (row.load_alone is not None or row.load_with is not None):
            raise TrtInspectError(f"load an {row.what} on its own, not together with other files",
                                  path=paths[0])


def _finish(bundle: EngineBundle) -> None:
    if not bundle.profile.empty and not bundle.layers.empty:
        unmatched_profile, unmatched_layers = bundle.unmatched_profile, bundle.unmatched_layers
        if unmatched_profile:
            bundle.notes.append(f"{len(unmatched_profile)} profiled name(s) match no layer (kept out of "
                                "per-layer tables): " + ", ".join(repr(short_name(n)) for n in unmatched_profile[:3]))
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
