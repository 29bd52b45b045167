"""Classify a file by its content (a bounded prefix read), not by its name.

Kinds: ``layer_info`` (``--exportLayerInfo`` / inspector JSON, a dict with ``"Layers"``), ``profile``
(``--exportProfile``), ``times`` (``--exportTimes``), ``trex_build_metadata``, ``trex_profile_metadata``,
``trex_device_metadata`` (TREx ``process_engine.py``), ``trtexec_log`` (trtexec stdout of any era),
``nsys_sqlite`` (``nsys export --type sqlite``), ``nsys_stats_csv`` (an ``nsys stats --format csv`` report),
``trtinspect_history`` (trtinspect's own check-history SQLite database, ``check --record``; not engine data),
``nsys_rep`` (``.nsys-rep``/``.qdstrm``, not readable without nsys), ``engine`` (a serialized plan: binary
content with an ``.engine``/``.plan``/``.trt`` suffix; plans carry no reliable text marker), ``unknown``.

The file name is used only where content cannot decide (binary engines, nsys reports).
"""

from __future__ import annotations

from pathlib import Path

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, kinds

HEAD_BYTES = 64 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
ENGINE_SUFFIXES = (".engine", ".plan", ".trt")
NSYS_REP_SUFFIXES = (".nsys-rep", ".qdstrm", ".qdrep")

# every kind a file can be (the declared table, trtinspect.parsers.kinds), and "unknown"
KINDS = (*(k.name for k in kinds.KINDS), kinds.UNKNOWN)
# tables that only trtinspect's check history has (trtinspect.inspector.history); an nsys export has none
HISTORY_TABLES = frozenset({"runs", "group_measurements", "layer_measurements"})


# Text files that are documents or code, never tool output, whatever they quote (`report docs/` reads nothing).
DOCUMENT_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".html", ".htm", ".ipynb", ".py", ".pyi", ".sh", ".bash",
                     ".toml", ".yaml", ".yml", ".cfg", ".ini", ".c", ".cc", ".cpp", ".cu", ".h", ".hpp", ".js",
                     ".ts", ".css", ".tex")


def read_head(path: str | Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of a file (missing/unreadable -> TrtInspectError)."""
    p = Path(path)
    if p.is_dir():
        raise TrtInspectError("is a directory, expected a file", path=p)
    _io.require_regular(p)
    try:
        with p.open("rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        raise TrtInspectError("no such file", path=p, hint="check the path") from None
    except OSError as exc:
        raise TrtInspectError(f"cannot read file: {exc.strerror}", path=p) from None


def kind_of_head(head: bytes, name: str = "") -> str:
    """Classify from the first bytes of a file and its name (see module doc)."""
    lower = name.lower()
    if head.startswith(SQLITE_MAGIC):
        return "nsys_sqlite"
    if lower.endswith(NSYS_REP_SUFFIXES):
        return "nsys_rep"
    head = _io.without_bom(head)
    if not head.strip():
        return "unknown"
    if _io.looks_binary(head):
        return "engine" if lower.endswith(ENGINE_SUFFIXES) else "unknown"
    if lower.endswith(DOCUMENT_SUFFIXES):
        return "unknown"     # documentation and source code may QUOTE trtexec output; they are not a run's output
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text[:1] in "[{":
        for kind, rule in kinds.JSON_RULES:
            if text[0] == rule.bracket and rule.pattern.search(text):
                return kind
        if text[0] == "[" and text[1:].strip() == "]":
            # an empty list: of trtexec's exports only --exportTimes can be one (no iteration timed); its parser
            # refuses it by name instead of a folder dropping it without a word
            return "times"
    from trtinspect.parsers.nsys.stats_csv import looks_like_nsys_stats_csv
    from trtinspect.parsers.trtexec_log import looks_like_trtexec_log

    if looks_like_trtexec_log(text):
        return "trtexec_log"
    if looks_like_nsys_stats_csv(text):
        return "nsys_stats_csv"
    return "unknown"


def is_history_db(path: str | Path) -> bool:
    """True for trtinspect's own check-history database (an SQLite file holding :data:`HISTORY_TABLES`)."""
    import sqlite3  # only SQLite files get here: not a start-up import of every command

    try:
        con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return False
    finally:
        con.close()
    return names >= HISTORY_TABLES


def detect_kind(path: str | Path) -> str:
    """Classify one file by content (reads at most :data:`HEAD_BYTES`; SQLite files: their table names)."""
    p = Path(path)
    kind = kind_of_head(read_head(p), p.name)
    if kind == "nsys_sqlite" and is_history_db(p):
        return "trtinspect_history"
    return kind
