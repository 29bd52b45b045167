"""History of checks: an embedded SQLite file by default, any SQLAlchemy URL (PostgreSQL, ...) when given.

Three tables (``docs/check.md``): ``runs`` (one row per recorded check), ``group_measurements`` (one row per
fusion group of that check) and ``layer_measurements`` (one row per profiled layer of every baseline and
candidate run). :func:`record` writes all rows of one check in ONE transaction: if anything fails or the
process is interrupted half-way, the database is left exactly as it was.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check import CheckResult

if TYPE_CHECKING:
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


def default_url() -> str:
    """``$TRTINSPECT_HISTORY_DB`` (URL or file) or ``./trtinspect-history.sqlite``."""
    return as_url(os.environ.get(ENV_DB) or DEFAULT_DB_FILE)


def as_url(target: str | Path) -> str:
    """A SQLAlchemy URL as given, or a file path turned into an SQLite URL."""
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def connect(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine for ``url`` with the tables created (idempotent)."""
    url = as_url(url) if url else default_url()
    try:
        engine = sa.create_engine(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise TrtInspectError(
            f"cannot open history database '{url}': {exc}",
            hint="give a file path or a SQLAlchemy URL like postgresql://user@host/db",
        ) from None
    if url.startswith("sqlite:///") and not create:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise TrtInspectError(
                "no history database here yet",
                path=path,
                hint="record one with `trtinspect check ... --record`",
            )
    try:
        metadata.create_all(engine)
    except sa.exc.SQLAlchemyError as exc:
        raise TrtInspectError(
            f"cannot use history database '{engine.url.render_as_string()}': "
            f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}"
        ) from None
    return engine


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
    }
    try:
        # engine.begin() commits on success and rolls back on ANY exception (KeyboardInterrupt included).
        with engine.begin() as conn:
            inserted = conn.execute(sa.insert(runs_table).values(**run_row)).inserted_primary_key
            assert inserted is not None
            run_id = int(inserted[0])
            _insert_groups(conn, run_id, result)
            _insert_layers(conn, run_id, baseline, candidate)
    except sa.exc.SQLAlchemyError as exc:
        raise TrtInspectError(
            f"could not record the check in '{engine.url.render_as_string()}' "
            f"(nothing was written): {type(exc).__name__}"
        ) from None
    log.info("recorded check %d in %s", run_id, engine.url)
    return run_id


def _insert_groups(conn: Connection, run_id: int, result: CheckResult) -> None:
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


def _insert_layers(
    conn: Connection, run_id: int, baseline: Sequence[EngineBundle], candidate: Sequence[EngineBundle]
) -> None:
    rows = []
    for side, bundles in (("baseline", baseline), ("candidate", candidate)):
        for i, b in enumerate(bundles):
            for name, ms in zip(b.profile["name"], b.profile["avg_ms"], strict=True):
                rows.append(
                    {"run_id": run_id, "side": side, "run_index": i, "layer": str(name), "avg_ms": _f(ms)}
                )
    if rows:
        conn.execute(sa.insert(layers_table), rows)


def list_runs(
    url: str | None = None, *, engine_name: str | None = None, limit: int = 100, engine: Engine | None = None
) -> pd.DataFrame:
    """Recorded checks, newest first (optionally of one engine name)."""
    engine = engine or connect(url, create=False)
    q = sa.select(runs_table).order_by(runs_table.c.id.desc()).limit(limit)
    if engine_name:
        q = q.where(runs_table.c.engine == engine_name)
    with engine.connect() as conn:
        return pd.read_sql(q, conn)


def layer_trend(
    layer: str, url: str | None = None, *, engine_name: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """A layer's (exact name) or a fusion group's (exact label) time over recorded checks, oldest first.

    Columns: run_id, created_at, engine, name, what ("layer" | "group"), base_ms, cand_ms, status.
    Layer rows average the layer's per-run times on each side.
    """
    engine = engine or connect(url, create=False)
    r, lm, gm = runs_table, layers_table, groups_table
    side_avg = (
        sa.select(lm.c.run_id, lm.c.side, sa.func.avg(lm.c.avg_ms).label("ms"))
        .where(lm.c.layer == layer)
        .group_by(lm.c.run_id, lm.c.side)
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
    with engine.connect() as conn:
        lay = pd.read_sql(q_layer, conn)
        grp = pd.read_sql(q_group, conn)
    cols = ["run_id", "created_at", "engine", "name", "what", "base_ms", "cand_ms", "status"]
    parts = []
    if not lay.empty:
        wide = lay.pivot_table(
            index=["run_id", "created_at", "engine"], columns="side", values="ms"
        ).reset_index()
        wide = wide.rename(columns={"baseline": "base_ms", "candidate": "cand_ms"})
        for c in ("base_ms", "cand_ms"):
            if c not in wide:
                wide[c] = float("nan")
        wide["name"], wide["what"], wide["status"] = layer, "layer", None
        parts.append(wide[cols])
    if not grp.empty:
        grp["name"], grp["what"] = layer, "group"
        parts.append(grp[cols])
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out.sort_values(["run_id", "what"], kind="stable").reset_index(drop=True)
