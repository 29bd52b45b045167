"""History of checks: an embedded SQLite file by default, any SQLAlchemy URL (PostgreSQL, ...) when given.

Tables (``docs/check.md``): ``runs`` (one row per recorded check), ``group_measurements`` (one row per
fusion group of that check), ``layer_measurements`` (one row per profiled layer of every baseline and
candidate run) and ``schema_version``. :func:`record` writes all rows of one check in ONE transaction: if
anything fails or the process is interrupted half-way, the database is left exactly as it was. Opening,
read-only access, integrity checks and layout migrations: :mod:`trtinspect.inspector.history_store`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history_store as store
from trtinspect.inspector.check_inputs import CUT_AT, profile_ms_by_name
from trtinspect.inspector.history_labels import CUT_MARK, CutNames, could_be_cut_form_of, may_be_cut

if TYPE_CHECKING:  # annotations only: reading the history never needs scipy (check's statistics)
    from trtinspect.inspector.check import CheckResult
    from trtinspect.parsers.model import EngineBundle

log = logging.getLogger(__name__)

DEFAULT_DB_FILE = "trtinspect-history.sqlite"
ENV_DB = "TRTINSPECT_HISTORY_DB"

metadata = sa.MetaData()

runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("engine", sa.String(512), nullable=False, index=True),  # candidate name
    sa.Column("baseline", sa.String(512), nullable=False),
    sa.Column("verdict", sa.String(32), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=False),
    sa.Column("k_base", sa.Integer, nullable=False),
    sa.Column("k_cand", sa.Integer, nullable=False),
    sa.Column("e2e_source", sa.String(32)),
    sa.Column("e2e_base_ms", sa.Float),
    sa.Column("e2e_cand_ms", sa.Float),
    sa.Column("e2e_delta_pct", sa.Float),
    sa.Column("e2e_p_value", sa.Float),
    sa.Column("e2e_status", sa.String(32)),
    sa.Column("n_regressed_groups", sa.Integer, nullable=False),
    sa.Column("device", sa.String(256)),
    sa.Column("trt_version", sa.String(64)),
    sa.Column("git_sha", sa.String(64)),
    sa.Column("git_ref", sa.String(256)),
    sa.Column("thresholds", sa.Text),  # JSON
    sa.Column("notes", sa.Text),  # JSON list
    # schema version 2
    sa.Column("tool_version", sa.String(64)),  # trtinspect version that recorded the check
    sa.Column("n_group_rows", sa.Integer),  # rows this check wrote into group_measurements
    sa.Column("n_layer_rows", sa.Integer),  # rows this check wrote into layer_measurements
)

groups_table = sa.Table(
    "group_measurements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("group_id", sa.Integer, nullable=False),
    sa.Column("label", sa.String(1024), nullable=False, index=True),
    sa.Column("kind", sa.String(64)),
    sa.Column("status", sa.String(32)),
    sa.Column("base_ms", sa.Float),
    sa.Column("cand_ms", sa.Float),
    sa.Column("delta_ms", sa.Float),
    sa.Column("delta_pct", sa.Float),
    sa.Column("p_value", sa.Float),
    sa.Column("q_value", sa.Float),
)

layers_table = sa.Table(
    "layer_measurements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("side", sa.String(16), nullable=False),  # baseline | candidate
    sa.Column("run_index", sa.Integer, nullable=False),
    sa.Column("layer", sa.String(2048), nullable=False, index=True),
    sa.Column("avg_ms", sa.Float),
)

schema_table = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("written_by", sa.String(64)),  # trtinspect version that created or migrated the store
)
V2_ONLY = frozenset(store.V2_RUN_COLUMNS)
SCHEMA_VERSION = store.SCHEMA_VERSION


def default_url() -> str:
    """``$TRTINSPECT_HISTORY_DB`` (URL or file) or ``./trtinspect-history.sqlite``."""
    return as_url(os.environ.get(ENV_DB) or DEFAULT_DB_FILE)


def as_url(target: str | Path) -> str:
    """A SQLAlchemy URL as given, or a file path turned into an SQLite URL."""
    return store.as_url(target)


def check_record_target(url: str | None = None) -> str:
    """The URL ``check --record`` will write to (default :func:`default_url`), validated before the check runs
    so a bad target fails first, in one line (see :func:`history_store.check_record_target`). An existing
    SQLite file is opened read-only here: one that is not a trtinspect store (an nsys export), is damaged or
    is of a newer layout is refused before the check runs, not after it has printed its verdict."""
    full = store.check_record_target(url, os.environ.get(ENV_DB) or DEFAULT_DB_FILE)
    path = store.sqlite_path(full)
    if path is not None and path.exists():
        try:
            connect(full, create=False).dispose()
        except TrtInspectError as exc:
            if exc.hint != "give the file `trtinspect check --record` wrote":  # the reader's hint
                raise
            raise TrtInspectError(exc.problem, path=exc.path, hint="record into a new path or into a store "
                                  "`trtinspect check --record` wrote") from None
    return full


def connect(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine on the history store at ``url`` (default :func:`default_url`).

    ``create=True`` (``check --record``): a new path becomes a store, an existing trtinspect store is migrated to
    the current layout, anything else is refused. ``create=False`` (every reader): read-only, and the store must
    exist. Both run SQLite's integrity check and refuse a store of a newer layout. Errors: one-line
    :class:`TrtInspectError`.
    """
    return store.open_store(
        url, write=create, tables=metadata, schema=schema_table, default=os.environ.get(ENV_DB) or DEFAULT_DB_FILE
    )


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v and v not in (float("inf"), float("-inf")) else None


def record(
    result: CheckResult,
    baseline: Sequence[EngineBundle] = (),
    candidate: Sequence[EngineBundle] = (),
    url: str | None = None,
    *,
    engine: Engine | None = None,
) -> int:
    """Store one check (run row, groups, every run's per-layer times) in ONE transaction; return its id."""
    engine = engine or connect(url)
    e = result.end_to_end
    t = result.thresholds
    run_row = {
        "created_at": datetime.now(timezone.utc),
        "engine": result.candidate_name,
        "baseline": result.baseline_name,
        "verdict": result.verdict,
        "exit_code": result.exit_code,
        "k_base": result.k_base,
        "k_cand": result.k_cand,
        "e2e_source": e.source,
        "e2e_base_ms": _f(e.base_ms),
        "e2e_cand_ms": _f(e.cand_ms),
        "e2e_delta_pct": _f(e.delta_pct),
        "e2e_p_value": _f(e.p_value),
        "e2e_status": e.status,
        "n_regressed_groups": len(result.regressed_groups),
        "device": result.context.get("device"),
        "trt_version": result.context.get("trt_version"),
        "git_sha": os.environ.get("GITHUB_SHA") or os.environ.get("CI_COMMIT_SHA"),
        "git_ref": os.environ.get("GITHUB_REF") or os.environ.get("CI_COMMIT_REF_NAME"),
        "thresholds": json.dumps(
            {
                "threshold": t.threshold,
                "group_threshold": t.group_threshold,
                "floor_ms": t.floor_ms,
                "min_share": t.min_share,
                "alpha": t.alpha,
            }
        ),
        "notes": json.dumps(result.notes),
        "tool_version": store.tool_version(),
    }
    try:
        # engine.begin() commits on success and rolls back on ANY exception (KeyboardInterrupt included).
        with engine.begin() as conn:
            inserted = conn.execute(sa.insert(runs_table).values(**run_row)).inserted_primary_key
            assert inserted is not None
            run_id = int(inserted[0])
            n_groups = _insert_groups(conn, run_id, result)
            n_layers = _insert_layers(conn, run_id, baseline, candidate)
            conn.execute(
                sa.update(runs_table)
                .where(runs_table.c.id == run_id)
                .values(n_group_rows=n_groups, n_layer_rows=n_layers)
            )
    except sa.exc.SQLAlchemyError as exc:
        raise store.database_error(exc, store.info(engine).name, "recording the check (nothing was written)") from None
    log.info("recorded check %d in %s", run_id, store.info(engine).name)
    return run_id


def _insert_groups(conn: Connection, run_id: int, result: CheckResult) -> int:
    rows = [
        {
            "run_id": run_id,
            "group_id": int(g["group_id"]),
            "label": str(g["label"]),
            "kind": str(g["kind"]),
            "status": str(g["status"]),
            "base_ms": _f(g["base_ms"]),
            "cand_ms": _f(g["cand_ms"]),
            "delta_ms": _f(g["delta_ms"]),
            "delta_pct": _f(g["delta_pct"]),
            "p_value": _f(g["p_value"]),
            "q_value": _f(g["q_value"]),
        }
        for g in result.groups.to_dict("records")
    ]
    if rows:
        conn.execute(sa.insert(groups_table), rows)
    return len(rows)


def _insert_layers(
    conn: Connection, run_id: int, baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]
) -> int:
    rows = []
    for side, bundles in (("baseline", baseline), ("candidate", candidate)):
        for i, b in enumerate(bundles):
            # the figure check judged: ms per iteration on the per-layer total's basis, one name's rows summed
            for name, ms in profile_ms_by_name(b).items():
                rows.append(
                    {"run_id": run_id, "side": side, "run_index": i, "layer": str(name), "avg_ms": _f(ms)}
                )
    if rows:
        conn.execute(sa.insert(layers_table), rows)
    return len(rows)


def list_runs(
    url: str | None = None, *, engine_name: str | None = None, limit: int = 100, engine: Engine | None = None
) -> pd.DataFrame:
    """Recorded checks, newest first (optionally of one engine name)."""
    engine = engine or connect(url, create=False)
    q = sa.select(*_run_columns(engine)).order_by(runs_table.c.id.desc()).limit(limit)
    if engine_name:
        q = q.where(runs_table.c.engine == engine_name)
    with _reading(engine, "reading the recorded checks") as conn:
        _refuse_damaged_rows(conn, store.info(engine).name, (runs_table,))
        return pd.read_sql(q, conn)


# Values a recorded field can hold (inclusive): a time in ms, a relative change in %, a p / q value. A value
# outside (inf, -1e308, a negative time) was written by hand or by a damaged store, never by `check --record`.
_MS, _PCT, _P = (0.0, 1e9, "a time in ms"), (-100.0, 1e9, "a change in %"), (0.0, 1.0, "a probability")
VALUE_RANGES: dict[str, dict[str, tuple[float, float, str]]] = {
    "runs": {"e2e_base_ms": _MS, "e2e_cand_ms": _MS, "e2e_delta_pct": _PCT, "e2e_p_value": _P},
    "group_measurements": {"base_ms": _MS, "cand_ms": _MS, "delta_ms": (-1e9, 1e9, "a change in ms"),
                           "delta_pct": _PCT, "p_value": _P, "q_value": _P},
    "layer_measurements": {"avg_ms": _MS},
}


def damaged_hint(run_id: int | None = None, *, run_ids: Sequence[int] = ()) -> str:
    """What to do about a damaged row (of check ``run_id``; or of the checks ``run_ids`` that ``history --check``
    listed; neither: of the check each problem names)."""
    ids = sorted(set(run_ids))
    if len(ids) > 1:
        listed = ", ".join(str(i) for i in ids)
        return (f"the store was edited or damaged: delete checks {', '.join(f'#{i}' for i in ids)} (DELETE FROM "
                f"runs WHERE id IN ({listed}), and their group_measurements / layer_measurements rows) or restore "
                "a backup")
    run_id = ids[0] if ids else run_id
    which, n = (f"check #{run_id}", str(run_id)) if run_id is not None else ("that check", "N")
    also = "; `trtinspect history STORE --check` checks every row" if run_id is not None and not ids else ""
    return (f"the store was edited or damaged: delete {which} (DELETE FROM runs WHERE id = {n}, and its "
            f"group_measurements / layer_measurements rows) or restore a backup{also}")


def damaged_rows(conn: Connection, tables: Sequence[sa.Table],
                 limit: int | None = 20) -> list[tuple[int, str]]:
    """Rows whose fields no check records: a ``created_at`` that is no date, a number outside its range
    (:data:`VALUE_RANGES`; SQLite keeps inf, and NaN as NULL). Each: (check id, ``check #N: FIELD is VALUE, not
    ...``); at most ``limit`` (None: every one, as ``history --check`` lists them)."""
    out: list[tuple[int, str]] = []
    for table in tables:
        run_col = table.c.id if table is runs_table else table.c.run_id
        where = "check" if table is runs_table else f"{table.name} row"
        if table is runs_table and conn.dialect.name == "sqlite":   # SQLite stores dates as text: parse each
            raw = sa.type_coerce(table.c.created_at, sa.String)
            for run_id, text in conn.execute(sa.select(table.c.id, raw).order_by(table.c.id)):
                if not _is_date(text):
                    out.append((run_id, f"check #{run_id}: created_at is {str(text)[:40]!r}, not a date and time"))
        for col, (lo, hi, what) in VALUE_RANGES[table.name].items():
            c = table.c[col]
            q = sa.select(table.c.id, run_col, c).where(c.is_not(None), sa.not_(c.between(lo, hi)))
            for row_id, run_id, value in conn.execute(q.order_by(table.c.id).limit(limit)):   # None: no limit
                of = "" if table is runs_table else f" (check #{run_id})"
                out.append((run_id, f"{where} #{row_id}{of}: {col} is {value!r}, not {what} ({lo:g} to {hi:g})"))
    return out[:limit] if limit is not None else out


def _is_date(text: Any) -> bool:
    if isinstance(text, datetime):
        return True
    try:
        datetime.fromisoformat(str(text))
    except ValueError:
        return False
    return True


def _refuse_damaged_rows(conn: Connection, name: str, tables: Sequence[sa.Table]) -> None:
    """One line naming the store, the row, the field and what to do, before a damaged row is read."""
    bad = damaged_rows(conn, tables, limit=2)
    if bad:
        more = " (and more)" if len(bad) > 1 else ""
        raise TrtInspectError(f"damaged row: {bad[0][1]}{more}", path=name, hint=damaged_hint(bad[0][0]))


def _run_columns(engine: Engine) -> list[Any]:
    """The ``runs`` columns; a version-1 store (read, never migrated by a reader) lacks the version-2 ones."""
    if store.info(engine).version >= 2:
        return list(runs_table.c)
    return [c if c.name not in V2_ONLY else sa.null().label(c.name) for c in runs_table.c]


@contextmanager
def _reading(engine: Engine, doing: str) -> Iterator[Connection]:
    """A connection whose database failures (damaged file, lost server) become one-line errors."""
    try:
        with engine.connect() as conn:
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        raise store.database_error(exc, store.info(engine).name, doing) from None


def engine_names(engine: Engine) -> list[str]:
    """Engine names, the one with most recorded checks first."""
    t = runs_table
    q = sa.select(t.c.engine, sa.func.count()).group_by(t.c.engine).order_by(sa.func.count().desc(), t.c.engine)
    with _reading(engine, "reading the engine names") as conn:
        return [str(r[0]) for r in conn.execute(q)]


def labels(engine: Engine, engine_name: str | None) -> list[str]:
    """Fusion-group labels (slowest first) then layer names (sorted) recorded for an engine."""
    r, g, lm = runs_table, groups_table, layers_table
    qg = (
        sa.select(g.c.label)
        .join(r, r.c.id == g.c.run_id)
        .group_by(g.c.label)
        .order_by(sa.func.max(sa.func.coalesce(g.c.cand_ms, g.c.base_ms)).desc(), g.c.label)
    )
    ql = sa.select(lm.c.layer).join(r, r.c.id == lm.c.run_id).distinct()
    if engine_name:
        qg, ql = qg.where(r.c.engine == engine_name), ql.where(r.c.engine == engine_name)
    with _reading(engine, "reading the recorded labels") as conn:
        groups = [str(x[0]) for x in conn.execute(qg)]
        layers = sorted(str(x[0]) for x in conn.execute(ql))
        groups = _whole_labels(conn, groups, engine_name)
    seen = set(groups)
    return groups + [x for x in layers if x not in seen]


def _cut_label_runs(conn: Connection, engine_name: str | None) -> dict[str, list[int]]:
    """Stored group labels that hold ``...`` (cut by an older trtinspect, or a name's own), and their checks."""
    r, g = runs_table, groups_table
    q = sa.select(g.c.label, g.c.run_id).join(r, r.c.id == g.c.run_id).where(g.c.label.like(f"%{CUT_MARK}%"))
    if engine_name:
        q = q.where(r.c.engine == engine_name)
    out: dict[str, list[int]] = {}
    for label, run_id in conn.execute(q):
        out.setdefault(str(label), []).append(int(run_id))
    return out


def _recorded_names(conn: Connection, run_ids: set[int]) -> dict[int, CutNames]:
    """The long layer names (those align cut) each of ``run_ids`` recorded."""
    lm = layers_table
    names: dict[int, list[str]] = {i: [] for i in run_ids}
    q = sa.select(lm.c.run_id, lm.c.layer).where(lm.c.run_id.in_(sorted(run_ids)),
                                                 sa.func.length(lm.c.layer) > CUT_AT)
    for run_id, layer in conn.execute(q):
        names[int(run_id)].append(str(layer))
    return {i: CutNames(n) for i, n in names.items()}


def _whole_labels(conn: Connection, labels: list[str], engine_name: str | None) -> list[str]:
    """``labels`` with those an older trtinspect stored cut read whole (:mod:`history_labels`), each once."""
    if not any(may_be_cut(x) for x in labels):
        return labels
    runs = _cut_label_runs(conn, engine_name)
    names = _recorded_names(conn, {min(ids) for ids in runs.values()})
    known = [x for x in labels if not may_be_cut(x)]
    return list(dict.fromkeys(names[min(runs[x])].whole(x, known) if x in runs else x for x in labels))


def _whole_of(conn: Connection, label: str, engine_name: str | None) -> str:
    """A group label an older trtinspect stored cut, read whole (the one whole label of a later check it reads
    as, else its cut names written whole where each stands for one recorded name); else ``label`` itself."""
    runs = _cut_label_runs(conn, engine_name).get(label)
    if not runs:
        return label
    head = label.split(CUT_MARK, 1)[0]
    pattern = head.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    q = sa.select(groups_table.c.label).where(groups_table.c.label.like(pattern, escape="\\")).distinct()
    known = [str(x[0]) for x in conn.execute(q) if not may_be_cut(str(x[0]))]
    return _recorded_names(conn, {min(runs)})[min(runs)].whole(label, known)


def _cut_group_rows(conn: Connection, label: str, engine_name: str | None) -> pd.DataFrame:
    """Group rows of checks that stored ``label`` cut (an older trtinspect): those whose stored label, read with
    the layer names their own check recorded, is ``label``."""
    r, gm = runs_table, groups_table
    runs = {x: ids for x, ids in _cut_label_runs(conn, engine_name).items() if could_be_cut_form_of(x, label)}
    if not runs:
        return pd.DataFrame()
    names = _recorded_names(conn, {i for ids in runs.values() for i in ids})
    keep = [(x, i) for x, ids in runs.items() for i in ids
            if (p := names[i].pattern(x)) is not None and p.fullmatch(label)]
    if not keep:
        return pd.DataFrame()
    q = (sa.select(r.c.id.label("run_id"), r.c.created_at, r.c.engine, gm.c.base_ms, gm.c.cand_ms, gm.c.status,
                   gm.c.label.label("stored_label"))
         .join(gm, gm.c.run_id == r.c.id)
         .where(sa.tuple_(gm.c.label, gm.c.run_id).in_(keep)))
    return pd.read_sql(q, conn)


def verify(engine: Engine) -> list[str]:
    """Problems with the store's content (empty list: sound). SQLite's full ``PRAGMA integrity_check``, every
    damaged row, rows that belong to no check, and checks whose row counts differ from what they recorded (a
    partial write)."""
    return verify_report(engine)[0]


def verify_report(engine: Engine) -> tuple[list[str], list[int]]:
    """:func:`verify`'s problems, and the ids of the checks that hold a damaged row (what to delete)."""
    problems: list[str] = []
    r, g, lm = runs_table, groups_table, layers_table
    with _reading(engine, "checking the history store") as conn:
        if conn.dialect.name == "sqlite":
            rows = [str(x[0]) for x in conn.exec_driver_sql("PRAGMA integrity_check(20)")]
            if rows != ["ok"]:
                problems += [f"SQLite integrity check: {x}" for x in rows]
        damaged = damaged_rows(conn, (r, g, lm), limit=None)   # every one: --check names each
        problems += [f"damaged row: {x}" for _, x in damaged]
        for table in (g, lm):
            orphans = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(~table.c.run_id.in_(sa.select(r.c.id)))
            ).scalar_one()
            if orphans:
                problems.append(f"{orphans} {table.name} rows belong to no recorded check")
        if store.info(engine).version >= 2:
            for table, col in ((g, r.c.n_group_rows), (lm, r.c.n_layer_rows)):
                counted = sa.select(table.c.run_id, sa.func.count().label("n")).group_by(table.c.run_id).subquery()
                bad = conn.execute(
                    sa.select(r.c.id, col, counted.c.n)
                    .outerjoin(counted, counted.c.run_id == r.c.id)
                    .where(col.is_not(None), sa.func.coalesce(counted.c.n, 0) != col)
                ).all()
                for run_id, want, got in bad:
                    problems.append(f"check #{run_id}: {got or 0} {table.name} rows, {want} recorded")
    return problems, sorted({run_id for run_id, _ in damaged})


def summary(engine: Engine) -> dict[str, Any]:
    """Counts of the store's tables, its name and layout version."""
    out = store.describe(engine)
    with _reading(engine, "counting the recorded checks") as conn:
        for t in (runs_table, groups_table, layers_table):
            out[t.name] = int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
    return out


def layer_trend(
    layer: str, url: str | None = None, *, engine_name: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """A layer's (exact name) or a fusion group's (exact label) time over recorded checks, oldest first.

    Columns: run_id, created_at, engine, name, what ("layer" | "group"), base_ms, cand_ms, status, stored_label
    (the label as the check stored it: a group label an older trtinspect stored cut is read whole,
    :mod:`~trtinspect.inspector.history_labels`). Layer rows average the layer's per-run times on each side (a
    run's rows of the name summed).
    """
    engine = engine or connect(url, create=False)
    if may_be_cut(layer):   # asked by a label an older trtinspect stored cut: the trend is its whole label's
        with _reading(engine, "reading the layer trend") as conn:
            layer = _whole_of(conn, layer, engine_name)
    r, lm, gm = runs_table, layers_table, groups_table
    # a run's time is the sum of its rows of the name (stores before commit 0fd9fdd hold one row per profile row)
    per_run = (
        sa.select(lm.c.run_id, lm.c.side, sa.func.sum(lm.c.avg_ms).label("ms"))
        .where(lm.c.layer == layer)
        .group_by(lm.c.run_id, lm.c.side, lm.c.run_index)
        .subquery()
    )
    side_avg = (
        sa.select(per_run.c.run_id, per_run.c.side, sa.func.avg(per_run.c.ms).label("ms"))
        .group_by(per_run.c.run_id, per_run.c.side)
        .subquery()
    )
    q_layer = sa.select(
        r.c.id.label("run_id"), r.c.created_at, r.c.engine, side_avg.c.side, side_avg.c.ms
    ).join(side_avg, side_avg.c.run_id == r.c.id)
    q_group = (
        sa.select(r.c.id.label("run_id"), r.c.created_at, r.c.engine, gm.c.base_ms, gm.c.cand_ms, gm.c.status)
        .join(gm, gm.c.run_id == r.c.id)
        .where(gm.c.label == layer)
    )
    if engine_name:
        q_layer = q_layer.where(r.c.engine == engine_name)
        q_group = q_group.where(r.c.engine == engine_name)
    with _reading(engine, "reading the layer trend") as conn:
        _refuse_damaged_rows(conn, store.info(engine).name, (r, gm))
        lay = pd.read_sql(q_layer, conn)
        grp = pd.read_sql(q_group, conn)
        cut = _cut_group_rows(conn, layer, engine_name)
    if not cut.empty:
        grp = pd.concat([grp, cut], ignore_index=True) if not grp.empty else cut
    cols = ["run_id", "created_at", "engine", "name", "what", "base_ms", "cand_ms", "status", "stored_label"]
    parts = []
    if not lay.empty:
        wide = lay.pivot_table(
            index=["run_id", "created_at", "engine"], columns="side", values="ms"
        ).reset_index()
        wide = wide.rename(columns={"baseline": "base_ms", "candidate": "cand_ms"})
        for c in ("base_ms", "cand_ms"):
            if c not in wide:
                wide[c] = float("nan")
        wide["name"], wide["what"], wide["status"], wide["stored_label"] = layer, "layer", None, layer
        parts.append(wide[cols])
    if not grp.empty:
        grp["name"], grp["what"] = layer, "group"
        grp["stored_label"] = grp["stored_label"].fillna(layer) if "stored_label" in grp else layer
        parts.append(grp[cols])
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out.sort_values(["run_id", "what"], kind="stable").reset_index(drop=True)


def recorded_names(
    url: str | None = None, *, engine_name: str | None = None, engine: Engine | None = None, limit: int = 5
) -> list[str]:
    """A few names ``layer_trend`` knows, for a name it does not: the slowest fusion groups (candidate side) of
    the latest recorded check (of ``engine_name`` when given), else its slowest layers."""
    engine = engine or connect(url, create=False)
    r, lm, gm = runs_table, layers_table, groups_table
    latest = sa.select(sa.func.max(r.c.id))
    if engine_name:
        latest = latest.where(r.c.engine == engine_name)
    with _reading(engine, "reading the recorded names") as conn:
        run_id = conn.execute(latest).scalar()
        if run_id is None:
            return []
        groups = conn.execute(
            sa.select(gm.c.label).where(gm.c.run_id == run_id)
            .order_by(sa.func.coalesce(gm.c.cand_ms, gm.c.base_ms, -1.0).desc(), gm.c.id).limit(limit)
        ).scalars().all()
        if groups:
            return [str(g) for g in groups]
        layers = conn.execute(
            sa.select(lm.c.layer).where(lm.c.run_id == run_id).group_by(lm.c.layer)
            .order_by(sa.func.max(lm.c.avg_ms).desc(), lm.c.layer).limit(limit)
        ).scalars().all()
    return [str(x) for x in layers]
