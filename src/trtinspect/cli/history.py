"""`trtinspect history`: recorded checks and per-layer / per-group latency trends (thin layer over
inspector.history)."""

from __future__ import annotations

import math
from typing import Any

import click

from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history
from trtinspect.inspector.check_inputs import centre_word


def _ms(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(v) else f"{v:.4f}"


@click.command("history")
@click.argument("db_arg", metavar="[DB]", required=False)
@click.option(
    "--db",
    default=None,
    metavar="URL|FILE",
    help="History database (default ./trtinspect-history.sqlite or $TRTINSPECT_HISTORY_DB).",
)
@click.option("--engine", "engine_name", default=None, help="Only checks of this (candidate) engine name.")
@click.option("--layer", default=None, help="Trend of one layer (exact name) or fusion group (exact label).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most recent N checks."
)
@click.option(
    "--check",
    "verify",
    is_flag=True,
    help="Check the store (SQLite integrity check, rows of no check, partial checks) and print its counts; "
    "exit 2 if anything is wrong.",
)
def command(db_arg: str | None, db: str | None, engine_name: str | None, layer: str | None, limit: int,
            verify: bool) -> None:
    """List recorded checks (newest first), or with --layer the layer's time across them (oldest first).

    DB (or --db) is the history database: a SQLAlchemy URL or a SQLite file. Reading never creates or changes
    the store; only `check --record` writes it.
    """
    if db_arg is not None and db is not None and db_arg != db:
        raise TrtInspectError(f"two history databases given ({db_arg} and --db {db})", hint="give one")
    db = db if db is not None else db_arg
    engine = history.connect(db, create=False)
    if verify:
        _verify(engine)
        return
    if layer:
        trend = history.layer_trend(layer, engine=engine, engine_name=engine_name)
        if trend.empty:
            click.echo(f"no recorded measurements of '{layer}'")
            return
        click.echo("mean ms per iteration (per-layer profile), averaged over each check's runs")
        click.echo(
            f"{'check':>6}  {'when (UTC)':<19}  {'what':<5}  {'baseline ms':>11}  {'candidate ms':>12}  "
            "status  engine"
        )
        for r in trend.to_dict("records"):
            when = str(r["created_at"])[:19]
            click.echo(
                f"{r['run_id']:>6}  {when:<19}  {r['what']:<5}  {_ms(r['base_ms']):>11}  "
                f"{_ms(r['cand_ms']):>12}  {r['status'] or '-':<6}  {r['engine']}"
            )
        return
    runs = history.list_runs(engine=engine, engine_name=engine_name, limit=limit)
    if runs.empty:
        click.echo("no recorded checks")
        return
    click.echo(
        f"{'check':>6}  {'when (UTC)':<19}  {'verdict':<10}  {'e2e base':>9}  {'e2e cand':>9}  {'stat':<6}  "
        f"{'delta':>8}  {'groups':>6}  engine (vs baseline)"
    )
    for r in runs.to_dict("records"):
        delta = r["e2e_delta_pct"]
        d = "-" if delta is None or (isinstance(delta, float) and math.isnan(delta)) else f"{delta:+.2f}%"
        click.echo(
            f"{r['id']:>6}  {str(r['created_at'])[:19]:<19}  {r['verdict']:<10}  {_ms(r['e2e_base_ms']):>9}  "
            f"{_ms(r['e2e_cand_ms']):>9}  {centre_word(r.get('e2e_source')):<6}  {d:>8}  "
            f"{r['n_regressed_groups']:>6}  {r['engine']} "
            f"(vs {r['baseline']})"
        )


def _verify(engine: Any) -> None:
    problems = history.verify(engine)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise TrtInspectError(
            f"the history store is not sound: {problems[0]}{more}", path=history.store.info(engine).name
        )
    s = history.summary(engine)
    click.echo(
        f"{s['name']}: sound; schema version {s['schema_version']}; {s['runs']} checks, "
        f"{s['group_measurements']} group rows, {s['layer_measurements']} layer rows"
    )
