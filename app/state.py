"""The dashboard's engine registry: the ONLY engines a browser can open, and a cache of heavy work per engine.

Engines enter the registry from the command line (``trtinspect serve PATH``), from the bundled samples, or
by upload. Each gets a short id (a slug such as ``resnet18-a100-qat``); pages and callbacks name engines by
id only, never by path. Per engine, the report facts, the analyzer's findings and the graph model are
computed once, on first use, under a per-engine lock; diffs are cached per ordered pair (bounded LRU).

Engines are loaded by :func:`trtinspect.parsers.bundle.load`, with the engine reader the caller passes in
(``trtinspect serve`` passes TensorRT's; the app itself never imports capture code or the top package).
Uploads are written to a private temporary directory (mode 0700), parsed with a size limit and no engine
reader, and the directory is removed at once: nothing a browser sends is kept on disk, and serialized engines
(``.engine``/``.plan``/``.trt`` or binary content) are refused, never deserialized.

Every engine is ADMITTED before it is registered (:meth:`Registry.admit`): its times must be finite,
non-negative numbers (:func:`bad_number`), and its heavy work (report, findings, graph model, card) is done
once on the unregistered entry. An engine that fails either is refused with a one-line
:class:`TrtInspectError`; it never reaches the registry, so it cannot break a page for anyone else.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from trtinspect import samples
from trtinspect.app.graph import GraphModel
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.report import build_report
from trtinspect.parsers import numbers, sniff
from trtinspect.parsers.bundle import EngineReader, load
from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_UPLOAD_MB = 50
MB = 1_000_000   # --max-upload-mb counts decimal megabytes, and every message says MB
MAX_UPLOADED_ENGINES = 32  # oldest uploads are dropped beyond this many
MAX_CACHED_DIFFS = 16
MAX_UPLOAD_FILES = 8
DATA_SUFFIXES = (".json", ".log", ".txt", ".sqlite")  # file names a sample folder is scanned for
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG = re.compile(r"[^a-z0-9]+")
_SUFFIX = re.compile(r"\.(log|json|txt|sqlite)$")


def _number_text(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return f"{v:g}"


def bad_number(bundle: EngineBundle) -> TrtInspectError | None:
    """The first (in file order) non-finite or negative time of a bundle as a one-line error naming the
    file, the field and the value; None when every checked number is usable. The check is the parsers' one
    (:func:`trtinspect.parsers.numbers.first_bad` with the rules of a drawable engine)."""
    hit = numbers.first_bad(bundle, numbers.DRAWABLE)
    if hit is None:
        return None
    bad, total = hit
    frame: pd.DataFrame = getattr(bundle, bad.frame)
    row = bad.first_row
    where = ""
    if "name" in frame:
        where = f" of layer {str(frame['name'].iloc[row])[:80]!r}"
    elif "metric" in frame:
        where = f" of {frame['metric'].iloc[row]} {frame['stat'].iloc[row]}"
    source = numbers.source_file(bundle, bad.frame)
    more = f" ({total} such values)" if total > 1 else ""
    return TrtInspectError(
        f"{bad.rule.field}{where} is {_number_text(bad.value)}{more}: times must be finite, non-negative "
        "milliseconds",
        path=Path(source.name) if source is not None else None,
        hint="re-export it with trtexec",
    )


class UnknownEngine(KeyError):
    """An engine id the registry does not hold (a stale or hand-written URL)."""


@dataclass
class EngineEntry:
    """One engine the dashboard serves."""

    id: str
    label: str
    origin: str  # "path" | "sample" | "upload"
    bundle: EngineBundle
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per entry and key (concurrent callers wait for the first)."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            value: T = self._cache[key]
            return value


def slug(text: str) -> str:
    """A URL-safe id from a label (file suffixes dropped): ``trtexec-logs/trt8.4/result-FP16.log`` ->
    ``trtexec-logs-trt8-4-result-fp16``."""
    s = _SLUG.sub("-", _SUFFIX.sub("", text.lower())).strip("-")
    return s[:60] or "engine"


class Registry:
    """Thread-safe map ``id -> EngineEntry`` plus the per-pair diff cache."""

    def __init__(self, *, max_uploads: int = MAX_UPLOADED_ENGINES, engine_reader: EngineReader | None = None) -> None:
        """``engine_reader`` reads an engine file given without sidecars (``trtinspect serve`` passes
        TensorRT's; None: such a file is refused with how to export it). Uploads never use it."""
        self._engine_reader = engine_reader
        self._lock = threading.RLock()
        self._entries: OrderedDict[str, EngineEntry] = OrderedDict()
        self._diffs: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._diff_locks: dict[tuple[str, str], threading.Lock] = {}
        self._diff_graphs: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()
        self.max_uploads = max_uploads

    # ----------------------------------------------------------------------------------------- entries
    def add(self, bundle: EngineBundle, *, label: str | None = None, origin: str = "path") -> str:
        """Register a loaded bundle as is (no admission check: see :meth:`admit`); returns its new id."""
        return self._insert(EngineEntry("", label or bundle.name, origin, bundle))

    def admit(self, bundle: EngineBundle, *, label: str | None = None, origin: str = "path") -> str:
        """Check a bundle, do its heavy work, and only then register it; returns its new id.

        Raises :class:`TrtInspectError` (one line) for a non-finite or negative time, or when the engine's
        report, findings, graph or card cannot be computed: the registry is left unchanged.
        """
        problem = bad_number(bundle)
        if problem is not None:
            raise problem
        entry = EngineEntry("", label or bundle.name, origin, bundle)
        try:
            prepare(entry)
        except TrtInspectError:
            raise
        except Exception as exc:
            log.exception("engine %s cannot be shown", entry.label)
            first: list[Path] = next(iter(bundle.sources.values()), [])
            raise TrtInspectError(
                f"cannot be shown: internal error while analysing it ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:160] if str(exc) else 'no message'})",
                path=Path(first[0].name) if first else None,
                hint="please report this file",
            ) from None
        return self._insert(entry)

    def _insert(self, entry: EngineEntry) -> str:
        with self._lock:
            text = entry.label
            labels = {e.label for e in self._entries.values()}
            base_label, k = text, 2
            while text in labels:
                text, k = f"{base_label} ({k})", k + 1
            base = slug(text)
            engine_id, k = base, 2
            while engine_id in self._entries:
                engine_id, k = f"{base}-{k}", k + 1
            entry.id, entry.label = engine_id, text
            self._entries[engine_id] = entry
            if entry.origin == "upload":
                self._evict_uploads()
            return engine_id

    def _evict_uploads(self) -> None:
        uploads = [k for k, e in self._entries.items() if e.origin == "upload"]
        for old in uploads[: max(0, len(uploads) - self.max_uploads)]:
            self.remove(old)

    def remove(self, engine_id: str) -> None:
        with self._lock:
            self._entries.pop(engine_id, None)
            for pair in [p for p in self._diffs if engine_id in p]:
                self._diffs.pop(pair, None)
            for pair in [p for p in self._diff_graphs if engine_id in p]:
                self._diff_graphs.pop(pair, None)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._entries)

    def entries(self) -> list[EngineEntry]:
        with self._lock:
            return list(self._entries.values())

    def get(self, engine_id: str | None) -> EngineEntry:
        with self._lock:
            entry = self._entries.get(engine_id or "")
        if entry is None:
            raise UnknownEngine(engine_id)
        return entry

    def __contains__(self, engine_id: object) -> bool:
        with self._lock:
            return engine_id in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # ----------------------------------------------------------------------------------- cached work
    def report(self, engine_id: str) -> dict[str, Any]:
        """``trtinspect.report.build_report`` without findings (cached)."""
        return entry_report(self.get(engine_id))

    def findings(self, engine_id: str) -> pd.DataFrame:
        """The analyzer's findings frame (schema FINDINGS), cached."""
        return entry_findings(self.get(engine_id))

    def graph(self, engine_id: str) -> GraphModel:
        return entry_graph(self.get(engine_id))

    def diff_graph(self, a_id: str, b_id: str) -> Any:
        """The aligned side-by-side graph of ``diff(a, b)`` (:mod:`trtinspect.app.graph_diff`), cached."""
        from trtinspect.app.graph_diff import build_diff_graph

        result = self.diff(a_id, b_id)
        key = (a_id, b_id)
        with self._lock:
            hit = self._diff_graphs.get(key)
            if hit is not None and hit[0] is result:
                return hit[1]
        dg = build_diff_graph(result, self.graph(a_id), self.graph(b_id))
        with self._lock:
            self._diff_graphs[key] = (result, dg)
            while len(self._diff_graphs) > MAX_CACHED_DIFFS:
                self._diff_graphs.popitem(last=False)
        return dg

    def diff(self, a_id: str, b_id: str) -> Any:
        """``trtinspect.inspector.diff.diff(A, B)`` per ordered pair, cached (bounded LRU)."""
        from trtinspect.inspector.diff import diff

        a, b = self.get(a_id), self.get(b_id)
        key = (a_id, b_id)
        with self._lock:
            if key in self._diffs:
                self._diffs.move_to_end(key)
                return self._diffs[key]
            pair_lock = self._diff_locks.setdefault(key, threading.Lock())
        with pair_lock:
            with self._lock:
                if key in self._diffs:
                    return self._diffs[key]
            result = diff(a.bundle, b.bundle)
            with self._lock:
                self._diffs[key] = result
                while len(self._diffs) > MAX_CACHED_DIFFS:
                    self._diffs.popitem(last=False)
            return result

    # ---------------------------------------------------------------------------------------- loading
    def load_paths(self, paths: Iterable[str]) -> list[str]:
        """Load each PATH as one engine (directory, engine file with sidecars, file or sample:NAME)."""
        ids = []
        for p in paths:
            b = load(p, engine_reader=self._engine_reader)
            label = p if p.startswith(samples.PREFIX) else b.name
            try:
                ids.append(
                    self.admit(b, label=label, origin="sample" if p.startswith(samples.PREFIX) else "path")
                )
            except TrtInspectError as exc:
                if exc.path is None:
                    raise TrtInspectError(exc.problem, path=p, hint=exc.hint) from None
                raise
        return ids

    def load_samples(self) -> list[str]:
        """Every bundled sample that has layers (summary-only logs are skipped: nothing to draw)."""
        ids = []
        for name in samples.list_samples():
            try:
                b = load(samples.PREFIX + name, engine_reader=self._engine_reader)
            except TrtInspectError as exc:
                log.info("skipping sample %s: %s", name, exc)
                continue
            if b.layers.empty:
                log.info("skipping sample %s: no layers", name)
                continue
            try:
                ids.append(self.admit(b, label=name, origin="sample"))
            except TrtInspectError as exc:
                log.info("skipping sample %s: %s", name, exc)
        return ids

    def add_upload(self, files: list[tuple[str, str]], *, max_bytes: int) -> str:
        """Parse uploaded files (``(filename, data URL)`` pairs) of ONE engine; returns the new id.

        Raises :class:`TrtInspectError` with a one-line message for anything wrong with the upload.
        """
        raw = decode_upload(files, max_bytes=max_bytes)
        tmp = Path(tempfile.mkdtemp(prefix="trtinspect-upload-"))
        try:
            tmp.chmod(0o700)
            paths = []
            for name, data in raw:
                p = tmp / name
                p.write_bytes(data)
                kind = sniff.detect_kind(p)
                if kind == "engine":
                    raise TrtInspectError(SERIALIZED_ENGINE, path=Path(name))
                paths.append(p)
            try:
                b = load(*paths, max_file_bytes=max_bytes)  # engines were refused above
            except TrtInspectError as exc:
                raise TrtInspectError(str(exc).replace(str(tmp) + "/", "")) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # an Nsight Systems export shows its nsys summaries even without TensorRT activity, as `serve PATH` does
        nsys = b.extras.get("nsys_stats") is not None
        if b.layers.empty and b.profile.empty and b.times.empty and b.summary.empty and not nsys:
            raise TrtInspectError(
                "the upload holds no layers, profile, timing or Nsight Systems summaries to show",
                path=Path(raw[0][0]),
            )
        b.sources = {k: [Path(p.name) for p in v] for k, v in b.sources.items()}
        return self.admit(b, label=b.name, origin="upload")


def entry_report(e: EngineEntry) -> dict[str, Any]:
    return e.memo("report", lambda: build_report(e.bundle, top=20, lint=False))


def entry_findings(e: EngineEntry) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        from trtinspect.inspector.lint import lint
        from trtinspect.parsers import schema
        from trtinspect.parsers.nsys.bundle import has_tensorrt

        if not has_tensorrt(e.bundle):  # an nsys export of other GPU work: no engine, no findings
            return schema.frame_from_columns({c: [] for c in schema.FINDINGS}, schema.FINDINGS)
        return lint(e.bundle)

    return e.memo("findings", compute)


def entry_graph(e: EngineEntry) -> GraphModel:
    return e.memo("graph", lambda: GraphModel(e.bundle))


def prepare(e: EngineEntry) -> None:
    """Do an entry's heavy work now (report, findings, graph model): what every page of it needs."""
    entry_report(e)
    entry_findings(e)
    entry_graph(e)


SERIALIZED_ENGINE = (
    "serialized TensorRT engines are not accepted by upload (the server never deserializes "
    "uploads); upload what trtexec exports: --exportLayerInfo, --exportProfile, "
    "--exportTimes JSON or its log"
)


def safe_filename(name: str) -> str:
    """The base name of an uploaded file with only ``[A-Za-z0-9._-]`` (no directories, no dot files)."""
    base = Path(str(name).replace("\\", "/")).name
    clean = _SAFE_NAME.sub("_", base).lstrip(".")[:120]
    if not clean:
        raise TrtInspectError(f"unusable upload file name {name!r}", hint="rename the file")
    return clean


def upload_limit(max_bytes: int) -> str:
    """The upload limit as ``--max-upload-mb`` gave it: ``0.001 MB (1,000 bytes)``, ``50 MB``."""
    mb = f"{max_bytes / MB:.6g} MB"
    return mb if max_bytes % MB == 0 else f"{mb} ({max_bytes:,} bytes)"


def decode_upload(files: list[tuple[str, str]], *, max_bytes: int) -> list[tuple[str, bytes]]:
    """Check and decode ``dcc.Upload`` contents (``data:<mime>;base64,<payload>``)."""
    if not files:
        raise TrtInspectError("no file in the upload")
    if len(files) > MAX_UPLOAD_FILES:
        raise TrtInspectError(
            f"{len(files)} files in one upload; at most {MAX_UPLOAD_FILES} (one engine's files)"
        )
    out: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for filename, content in files:
        name = safe_filename(filename)
        if name.lower().endswith(sniff.ENGINE_SUFFIXES):
            raise TrtInspectError(SERIALIZED_ENGINE, path=Path(name))
        if name in seen:
            raise TrtInspectError("the same file name twice in one upload", path=Path(name))
        seen.add(name)
        if not isinstance(content, str) or "," not in content:
            raise TrtInspectError("upload content is not a data URL", path=Path(name))
        payload = content.split(",", 1)[1]
        if len(payload) * 3 // 4 > max_bytes + 3:
            raise TrtInspectError(
                f"file is over the {upload_limit(max_bytes)} upload limit",
                path=Path(name),
                hint="start the server with a larger --max-upload-mb or pass the file as PATH",
            )
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise TrtInspectError("upload content is not valid base64", path=Path(name)) from None
        if len(data) > max_bytes:
            raise TrtInspectError(
                f"file is {len(data):,} bytes, over the {upload_limit(max_bytes)} upload limit", path=Path(name)
            )
        if not data.strip():
            raise TrtInspectError("file is empty", path=Path(name), hint="re-run the export that wrote it")
        out.append((name, data))
    return out
