"""The dashboard's engine registry: the ONLY engines a browser can open, and a cache of heavy work per engine.

Engines enter the registry from the command line (``trtinspect serve PATH``), from the bundled samples, or
by upload. Each gets a short id (a slug such as ``resnet18-a100-qat``); pages and callbacks name engines by
id only, never by path. Per engine, the report facts, the analyzer's findings and the graph model are
computed once, on first use, under a per-engine lock; diffs are cached per ordered pair (bounded LRU).

Uploads are written to a private temporary directory (mode 0700), parsed by :func:`trtinspect.parsers.bundle.load`
with a size limit, and the directory is removed at once: nothing a browser sends is kept on disk, and
serialized engines (``.engine``/``.plan``/``.trt`` or binary content) are refused, never deserialized.
"""

from __future__ import annotations

import base64
import binascii
import logging
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

import trtinspect
from trtinspect import samples
from trtinspect.app.graph import GraphModel
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.report import build_report
from trtinspect.parsers import sniff
from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_UPLOAD_MB = 50
MAX_UPLOADED_ENGINES = 32  # oldest uploads are dropped beyond this many
MAX_CACHED_DIFFS = 16
MAX_UPLOAD_FILES = 8
DATA_SUFFIXES = (".json", ".log", ".txt", ".sqlite")  # file names a sample folder is scanned for
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_SLUG = re.compile(r"[^a-z0-9]+")
_SUFFIX = re.compile(r"\.(log|json|txt|sqlite)$")


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

    def __init__(self, *, max_uploads: int = MAX_UPLOADED_ENGINES) -> None:
        self._lock = threading.RLock()
        self._entries: OrderedDict[str, EngineEntry] = OrderedDict()
        self._diffs: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._diff_locks: dict[tuple[str, str], threading.Lock] = {}
        self.max_uploads = max_uploads

    # ----------------------------------------------------------------------------------------- entries
    def add(self, bundle: EngineBundle, *, label: str | None = None, origin: str = "path") -> str:
        """Register a loaded bundle; returns its new id."""
        with self._lock:
            text = label or bundle.name
            labels = {e.label for e in self._entries.values()}
            base_label, k = text, 2
            while text in labels:
                text, k = f"{base_label} ({k})", k + 1
            base = slug(text)
            engine_id, k = base, 2
            while engine_id in self._entries:
                engine_id, k = f"{base}-{k}", k + 1
            self._entries[engine_id] = EngineEntry(engine_id, text, origin, bundle)
            if origin == "upload":
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
        """``trtinspect.inspector.report.build_report`` without findings (cached)."""
        e = self.get(engine_id)
        return e.memo("report", lambda: build_report(e.bundle, top=20, lint=False))

    def findings(self, engine_id: str) -> pd.DataFrame:
        """The analyzer's findings frame (schema FINDINGS), cached."""
        e = self.get(engine_id)

        def compute() -> pd.DataFrame:
            from trtinspect.inspector.lint import lint

            return lint(e.bundle)

        return e.memo("findings", compute)

    def graph(self, engine_id: str) -> GraphModel:
        e = self.get(engine_id)
        return e.memo("graph", lambda: GraphModel(e.bundle))

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

    def warm(self, ids: Iterable[str] | None = None) -> None:
        """Do each engine's heavy work now (report, findings, graph model), e.g. in a background thread at
        startup, so the first page request finds it cached."""
        for engine_id in list(ids) if ids is not None else self.ids():
            try:
                self.report(engine_id)
                self.findings(engine_id)
                self.graph(engine_id)
            except UnknownEngine:
                continue

    # ---------------------------------------------------------------------------------------- loading
    def load_paths(self, paths: Iterable[str]) -> list[str]:
        """Load each PATH as one engine (directory, engine file with sidecars, file or sample:NAME)."""
        ids = []
        for p in paths:
            b = trtinspect.load(p)
            label = p if p.startswith(samples.PREFIX) else b.name
            ids.append(self.add(b, label=label, origin="sample" if p.startswith(samples.PREFIX) else "path"))
        return ids

    def load_samples(self) -> list[str]:
        """Every bundled sample that has layers (summary-only logs are skipped: nothing to draw)."""
        ids = []
        for name in samples.list_samples():
            try:
                b = trtinspect.load(samples.PREFIX + name)
            except TrtInspectError as exc:
                log.info("skipping sample %s: %s", name, exc)
                continue
            if b.layers.empty:
                log.info("skipping sample %s: no layers", name)
                continue
            ids.append(self.add(b, label=name, origin="sample"))
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
                b = trtinspect.load(*paths, max_file_bytes=max_bytes)
            except TrtInspectError as exc:
                raise TrtInspectError(str(exc).replace(str(tmp) + "/", "")) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if b.layers.empty and b.profile.empty and b.times.empty and b.summary.empty:
            raise TrtInspectError(
                "the upload holds no layers, profile or timing to show", path=Path(raw[0][0])
            )
        b.sources = {k: [Path(p.name) for p in v] for k, v in b.sources.items()}
        return self.add(b, label=b.name, origin="upload")


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
                f"file is over the {max_bytes / 1024**2:.0f} MiB upload limit",
                path=Path(name),
                hint="start the server with a larger --max-upload-mb or pass the file as PATH",
            )
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise TrtInspectError("upload content is not valid base64", path=Path(name)) from None
        if len(data) > max_bytes:
            raise TrtInspectError(
                f"file is over the {max_bytes / 1024**2:.0f} MiB upload limit", path=Path(name)
            )
        if not data.strip():
            raise TrtInspectError("file is empty", path=Path(name), hint="re-run the export that wrote it")
        out.append((name, data))
    return out
