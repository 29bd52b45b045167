"""Opening a check-history store safely: what may be read, what may be written, which layout it has.

Rules (docs/check.md, "History store"):

- **Reading never creates or changes a file.** ``history``, the web app's History page and every query open the
  store read-only (SQLite ``mode=ro``; PostgreSQL ``SET TRANSACTION READ ONLY``). A path that is missing, a folder,
  a FIFO, empty, not SQLite, or SQLite without trtinspect's tables is refused with one line (exit 2). The one
  thing a read may do is SQLite's own recovery after a writer was killed mid-transaction: the rollback journal
  it left is replayed, which puts the file back to its last committed state (the alternative is refusing to read
  a store that is fine).
- **Only ``check --record`` creates a store**, and only at a path that is new (built in a temporary file beside it
  and linked into place, so no reader or concurrent writer ever sees it half-made) or that already is a
  trtinspect store (then migrated to the current layout inside the writer's transaction).
- **A damaged store is refused**, for reading and writing: SQLite ``PRAGMA quick_check`` runs on every open.
- **Schema versions.** Version 1 (trtinspect 0.1.0) had no ``schema_version`` table; version 2 adds it and three
  columns of ``runs`` (``tool_version``, ``n_group_rows``, ``n_layer_rows``). A reader reads both; a writer migrates
  1 -> 2 in one transaction; a store of a newer version than this trtinspect knows is refused in one line.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import stat
import tempfile
import weakref
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from trtinspect.errors import TrtInspectError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
V1_TABLES = frozenset({"runs", "group_measurements", "layer_measurements"})
V2_RUN_COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "tool_version": sa.String(64),
    "n_group_rows": sa.Integer(),
    "n_layer_rows": sa.Integer(),
}
# one arbitrary 63-bit key: PostgreSQL writers set the schema up one at a time
PG_LOCK_KEY = 0x7472_7469_6E73_7063
BUSY_TIMEOUT_S = 30.0
EFFECTIVE = os.access in os.supports_effective_ids  # permission checks as the process's effective user
RECOVER_HINT = "restore it from a backup, or salvage rows with `sqlite3 FILE .recover`"


@dataclass(frozen=True)
class StoreInfo:
    """What :func:`open_store` found: a name to show (never a password), the layout version, the access mode."""

    name: str
    version: int
    writable: bool
    sqlite_path: Path | None


_INFO: weakref.WeakKeyDictionary[Engine, StoreInfo] = weakref.WeakKeyDictionary()


def info(engine: Engine) -> StoreInfo:
    """The :class:`StoreInfo` of an engine :func:`open_store` made (an engine made elsewhere: assumed current)."""
    found = _INFO.get(engine)
    if found is None:
        return StoreInfo(engine.url.render_as_string(hide_password=True), SCHEMA_VERSION, True, None)
    return found


def tool_version() -> str:
    try:
        return importlib_metadata.version("trtinspect")
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def as_url(target: str | Path) -> str:
    """A SQLAlchemy URL as given, or a file path turned into an SQLite URL (never resolving symlinks: a loop
    must become a one-line error when the store is opened, not an exception here)."""
    text = str(target)
    if "://" in text:
        return text
    return file_url(os.path.abspath(os.path.expanduser(text)))


def file_url(path: str | Path) -> str:
    """The SQLite URL of exactly the file ``path``: ``?``, ``#`` and ``%`` in the name are quoted (a plain
    ``weird.sqlite?x=1`` is that file, not ``weird.sqlite`` with a query)."""
    return sa.engine.URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and for in-memory SQLite)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    db = parsed.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


URL_HINT = (
    "give a file path, sqlite:///relative/path.db (three slashes: relative to the current folder), "
    "sqlite:////absolute/path.db, or a server URL like postgresql+psycopg://user@host/db"
)


def check_record_target(target: str | None, default: str) -> str:
    """Where ``check --record`` will write, checked BEFORE any work (one-line :class:`TrtInspectError`): the URL
    to record into, with a relative SQLite path resolved against the current folder. A file must be new (in an
    existing, writable folder) or an SQLite file; an in-memory database keeps nothing and is refused; a server
    URL needs its driver and must accept a connection."""
    full = as_url(target) if target else as_url(default)
    try:
        parsed = sa.engine.make_url(full)
    except sa.exc.ArgumentError:
        raise TrtInspectError(f"'{full}' is not a database URL", hint=URL_HINT) from None
    if parsed.get_backend_name() != "sqlite":
        _check_server(full)
        return full
    db = parsed.database or ""
    if parsed.host or parsed.port:
        raise TrtInspectError(
            f"'{_shown(full)}': an SQLite URL has no host part ('{parsed.host}')",
            hint=f"write sqlite:///{parsed.host}{'/' + db if db else ''} (three slashes) for a file relative to the "
            "current folder",
        )
    if not db or db == ":memory:" or db.startswith("file:"):
        raise TrtInspectError(
            f"'{_shown(full)}' is an in-memory or URI SQLite database: nothing recorded there would be kept",
            hint=URL_HINT,
        )
    path = Path(os.path.abspath(os.path.expanduser(db)))
    st = _stat(path)
    if st is not None:
        _check_existing_file(path, st, write=True)
    else:
        parent = _stat(path.parent)
        if parent is None:
            raise TrtInspectError(
                "the folder of the history store does not exist", path=path.parent, hint="create it first"
            )
        if not stat.S_ISDIR(parent.st_mode):
            raise TrtInspectError("is a file, not a folder for the history store", path=path.parent)
        if not os.access(path.parent, os.W_OK | os.X_OK, effective_ids=EFFECTIVE):
            raise TrtInspectError(
                "permission denied: cannot create the history store in this folder",
                path=path.parent,
                hint="record into a writable folder",
            )
    return file_url(path)


def _check_server(url: str) -> None:
    """The driver of a server URL loads and the server accepts a connection (nothing is read or written)."""
    engine = _server_engine(url, read_only=False)
    try:
        with engine.connect():
            pass
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise database_error(exc, _shown(url), "connecting to the history store") from None
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- file checks
def _stat(path: Path) -> os.stat_result | None:
    """``os.stat`` with every failure as one line (None: nothing there, the path is new)."""
    try:
        return path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise TrtInspectError(
                "is a symbolic link to nothing", path=path, hint="point it at a history store or remove it"
            ) from None
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TrtInspectError(
                "symbolic link loop", path=path, hint="fix the links or give the store's real path"
            ) from None
        if exc.errno == errno.EACCES:
            raise TrtInspectError(
                "permission denied: a folder on this path cannot be searched",
                path=path,
                hint="ask for access to the folder or copy the store somewhere readable",
            ) from None
        if exc.errno == errno.ENOTDIR:
            raise TrtInspectError(
                "a part of this path is a file, not a folder", path=path, hint="check the path"
            ) from None
        raise TrtInspectError(f"cannot look at this path: {exc.strerror}", path=path) from None


def _check_existing_file(path: Path, st: os.stat_result, *, write: bool) -> None:
    """An existing path must be a readable regular file that is an SQLite database (write: writable too)."""
    if stat.S_ISDIR(st.st_mode):
        raise TrtInspectError(
            "is a folder, not a history store",
            path=path,
            hint="give the store's file, e.g. DIR/trtinspect-history.sqlite",
        )
    if not stat.S_ISREG(st.st_mode):
        raise TrtInspectError(
            "is not a regular file (a FIFO, socket or device), not a history store", path=path
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except PermissionError:
        raise TrtInspectError(
            "permission denied: cannot read the history store",
            path=path,
            hint="ask for read access or copy the store somewhere readable",
        ) from None
    except OSError as exc:
        raise TrtInspectError(f"cannot read the history store: {exc.strerror}", path=path) from None
    what = "record into a new path" if write else "give the file `trtinspect check --record` wrote"
    if not head:
        raise TrtInspectError("is an empty file, not a trtinspect history store", path=path, hint=what)
    if head != SQLITE_MAGIC:
        raise TrtInspectError("is not an SQLite database, so not a trtinspect history store", path=path, hint=what)
    if write and not os.access(path, os.W_OK, effective_ids=EFFECTIVE):
        raise TrtInspectError(
            "permission denied: cannot write the history store", path=path, hint="ask for write access"
        )
    if write and not os.access(path.parent, os.W_OK | os.X_OK, effective_ids=EFFECTIVE):
        raise TrtInspectError(
            "permission denied: SQLite needs to write its journal in this folder",
            path=path.parent,
            hint="record into a store in a writable folder",
        )


# ------------------------------------------------------------------------------------------------ engines
def _sqlite_engine(path: Path, *, read_only: bool) -> Engine:
    uri = f"{path.absolute().as_uri()}?mode={'ro' if read_only else 'rw'}"

    def creator() -> sqlite3.Connection:
        con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        con.isolation_level = None  # SQLAlchemy's "begin" event below decides how transactions start
        return con

    engine = sa.create_engine("sqlite://", creator=creator)

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # a writer takes the write lock up front: two writers never both read-then-upgrade (deadlock)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _server_engine(url: str, *, read_only: bool) -> Engine:
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        extra = " (pip install 'trtinspect[postgres]')" if "postgres" in url else ""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TrtInspectError(
            f"cannot open history database '{_shown(url)}': {first}{extra}", hint=URL_HINT
        ) from None
    if read_only and engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


def shown_name(url: str) -> str:
    """How to name a store in a message: an SQLite file's path, else the URL without its password."""
    path = sqlite_path(url)
    return str(path) if path is not None else _shown(url)


def _shown(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def database_error(exc: BaseException, name: str, doing: str) -> TrtInspectError:
    """One line for a database failure (damaged file, lost server, locked store, ...)."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    damaged = any(
        s in text for s in ("malformed", "not a database", "disk image", "corrupt", "database or disk is full")
    )
    if damaged:
        return TrtInspectError(f"the history store is damaged ({text}); {doing} failed", path=name, hint=RECOVER_HINT)
    return TrtInspectError(f"{doing} failed: {text}", path=name)


# ------------------------------------------------------------------------------------------------- layout
def _tables(conn: Connection) -> set[str]:
    return set(sa.inspect(conn).get_table_names())


def stored_version(conn: Connection, name: str) -> int | None:
    """The layout version of the store (None: no trtinspect tables at all). Refuses foreign databases."""
    tables = _tables(conn)
    if "schema_version" in tables:
        version = conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar()
        if version is None:
            raise TrtInspectError("its schema_version table is empty, so its layout is unknown", path=name)
        return int(version)
    if tables >= V1_TABLES:
        return 1
    if tables & V1_TABLES:
        raise TrtInspectError(
            f"has only some of trtinspect's tables ({', '.join(sorted(tables & V1_TABLES))}): not a complete "
            "history store",
            path=name,
        )
    return None


def _quick_check(conn: Connection, name: str) -> None:
    if conn.dialect.name != "sqlite":
        return
    rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(5)")]
    if rows != ["ok"]:
        raise TrtInspectError(
            f"the history store is damaged (SQLite integrity check: {rows[0]})", path=name, hint=RECOVER_HINT
        )


def _create(conn: Connection, tables: sa.MetaData, schema_table: sa.Table) -> None:
    tables.create_all(conn, checkfirst=True)
    conn.execute(sa.insert(schema_table).values(version=SCHEMA_VERSION, written_by=tool_version()))


def _migrate(conn: Connection, version: int, schema_table: sa.Table, name: str) -> None:
    """Bring a store of an older layout to :data:`SCHEMA_VERSION` (inside the caller's transaction)."""
    if version == 1:
        quote = conn.dialect.identifier_preparer.quote
        for column, type_ in V2_RUN_COLUMNS.items():
            ddl = type_.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE runs ADD COLUMN {quote(column)} {ddl}")
        schema_table.create(conn, checkfirst=True)
        conn.execute(sa.insert(schema_table).values(version=2, written_by=tool_version()))
        log.info("migrated history store %s from schema version 1 to 2", name)
        version = 2
    assert version == SCHEMA_VERSION


def _setup(engine: Engine, name: str, *, write: bool, new: bool, tables: sa.MetaData, schema: sa.Table) -> int:
    """Check (and for a writer create or migrate) the layout in one transaction; return its version."""
    try:
        with engine.begin() as conn:
            if write and conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
            _quick_check(conn, name)
            version = stored_version(conn, name)
            if version is not None and version > SCHEMA_VERSION:
                raise TrtInspectError(
                    f"was written by a newer trtinspect (history schema version {version}; this one knows up to "
                    f"{SCHEMA_VERSION})",
                    path=name,
                    hint="upgrade trtinspect (pip install -U trtinspect)",
                )
            if version is None:
                if not write and conn.dialect.name == "sqlite":
                    raise TrtInspectError(
                        "is an SQLite database but not a trtinspect history store",
                        path=name,
                        hint="give the file `trtinspect check --record` wrote",
                    )
                if not write:
                    raise TrtInspectError(
                        "holds no trtinspect history (no recorded checks)",
                        path=name,
                        hint="record one with `trtinspect check ... --record`",
                    )
                if not new and conn.dialect.name == "sqlite":
                    raise TrtInspectError(
                        "is an SQLite database but not a trtinspect history store",
                        path=name,
                        hint="record into a new path",
                    )
                _create(conn, tables, schema)
                return SCHEMA_VERSION
            if write and version < SCHEMA_VERSION:
                _migrate(conn, version, schema, name)
                return SCHEMA_VERSION
            return version
    except TrtInspectError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        if _needs_rollback(exc) and not write:
            raise _HotJournal from None
        raise database_error(exc, name, "opening the history store") from None


class _HotJournal(Exception):
    """A killed writer left a rollback journal that a read-only connection may not replay."""


def _needs_rollback(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK"


def _create_new_sqlite(path: Path, tables: sa.MetaData, schema: sa.Table) -> None:
    """Build a new store in a temporary file beside ``path`` and link it into place (never over a file)."""
    parent = path.parent
    if not parent.is_dir():
        raise TrtInspectError("the folder of the history store does not exist", path=parent, hint="create it first")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise TrtInspectError(
            f"cannot create the history store here: {exc.strerror}", path=path, hint="record into a writable folder"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        engine = _sqlite_engine(tmp, read_only=False)
        try:
            with engine.begin() as conn:
                _create(conn, tables, schema)
        finally:
            engine.dispose()
        try:
            os.link(tmp, path)  # fails if path exists: a concurrent writer made it first, which is fine
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: rename, which can only race with another creator
            if not path.exists():
                os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def open_store(url: str | None, *, write: bool, tables: sa.MetaData, schema: sa.Table, default: str) -> Engine:
    """An engine on the store at ``url`` (a file path or SQLAlchemy URL; None: ``default``), validated.

    ``write=False``: read-only; the store must exist and be a trtinspect store. ``write=True``: a new path is
    created, an existing trtinspect store migrated, anything else refused.
    """
    full = as_url(url) if url else as_url(default)
    path = sqlite_path(full)
    if path is None:
        name = _shown(full)
        engine = _server_engine(full, read_only=not write)
        version = _setup(engine, name, write=write, new=True, tables=tables, schema=schema)
        _INFO[engine] = StoreInfo(name, version, write, None)
        return engine
    name = str(path)
    st = _stat(path)
    if st is None:
        if not write:
            raise TrtInspectError(
                "no history database here yet", path=path, hint="record one with `trtinspect check ... --record`"
            )
        _create_new_sqlite(path, tables, schema)
        st = _stat(path)
        assert st is not None
    _check_existing_file(path, st, write=write)
    engine = _sqlite_engine(path, read_only=not write)
    try:
        version = _setup(engine, name, write=write, new=False, tables=tables, schema=schema)
    except _HotJournal:
        engine.dispose()
        log.info("replaying the rollback journal a killed writer left in %s", name)
        engine = _recover_then_read(path, name, tables, schema)
        version = info(engine).version
    _INFO[engine] = StoreInfo(name, version, write, path)
    return engine


def _recover_then_read(path: Path, name: str, tables: sa.MetaData, schema: sa.Table) -> Engine:
    """Let SQLite roll back an interrupted write (read-write connection, no statement but a read), then reopen
    read-only."""
    try:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise TrtInspectError(
            f"a writer was interrupted mid-transaction and its journal cannot be rolled back here: {exc}",
            path=name,
            hint="run `trtinspect check ... --record` or any SQLite client once with write access to the folder",
        ) from None
    engine = _sqlite_engine(path, read_only=True)
    version = _setup(engine, name, write=False, new=False, tables=tables, schema=schema)
    _INFO[engine] = StoreInfo(name, version, False, path)
    return engine


def describe(engine: Engine) -> dict[str, Any]:
    """Name, version and access mode of an opened store (for messages and ``history --check``)."""
    i = info(engine)
    return {"name": i.name, "schema_version": i.version, "writable": i.writable}
