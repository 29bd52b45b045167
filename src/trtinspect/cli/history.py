"""`trtinspect history`: recorded checks and per-layer / per-group latency trends (thin layer over
inspector.history)."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import click

from trtinspect.cli import echo
from trtinspect.cli.options import ExclusiveOption, text_width
from trtinspect.errors import TrtInspectError
from trtinspect.inspector import history
from trtinspect.inspector.check_inputs import HISTORY_LSUM, history_stat
from trtinspect.render.check import term_text
from trtinspect.render.escape import printable
from trtinspect.textfmt import NAME_MIN_ROOM, fit_row


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
@click.option("--layer", default=None, help="Trend of one layer (exact name) or fusion group (exact label; a label "
              "an older trtinspect stored cut reads whole).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Most recent N checks."
)
@click.option(
    "--check",
    "verify",
    is_flag=True,
    cls=ExclusiveOption,
    excludes=("engine_name", "layer", "limit"),
    why="it checks the whole store and lists no checks (it takes DB or --db only)",
    help="Check the store (SQLite integrity check, damaged rows, rows of no check, partial checks) and print "
    "its counts; list every problem and exit 2 if anything is wrong. Takes no --engine, --layer or --limit.",
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
            _no_such_layer(layer, engine, engine_name)
            return
        echo("mean ms per iteration (per-layer profile), averaged over each check's runs")
        _table(
            [(6, ">", "check"), (19, "<", "when (UTC)"), (5, "<", "what"), (11, ">", "baseline ms"),
             (12, ">", "candidate ms"), (11, "<", "status")], "engine",
            [([r["run_id"], str(r["created_at"])[:19], r["what"], _ms(r["base_ms"]), _ms(r["cand_ms"]),
               r["status"] or "-"], str(r["engine"])) for r in trend.to_dict("records")],
        )
        cut = trend[(trend["what"] == "group") & (trend["stored_label"] != trend["name"])]
        if not cut.empty:
            checks = ", ".join(f"#{i}" for i in dict.fromkeys(cut["run_id"].tolist()))
            note = (f"check {checks} stored this group's label cut by an earlier trtinspect "
                    f"('{cut['stored_label'].iloc[0]}'): read whole from the layer names it recorded")
            echo(term_text(textwrap.fill(note, width=text_width())))
        return
    runs = history.list_runs(engine=engine, engine_name=engine_name, limit=limit)
    if runs.empty:
        _no_checks(engine, engine_name)
        return
    rows = []
    for r in runs.to_dict("records"):
        delta = r["e2e_delta_pct"]
        d = "-" if delta is None or (isinstance(delta, float) and math.isnan(delta)) else f"{delta:+.2f}%"
        rows.append(([r["id"], str(r["created_at"])[:19], r["verdict"], _ms(r["e2e_base_ms"]), _ms(r["e2e_cand_ms"]),
                      history_stat(r.get("e2e_source")), d, r["n_regressed_groups"]],
                     f"{r['engine']} (vs {r['baseline']})"))
    _table([(6, ">", "check"), (19, "<", "when (UTC)"), (10, "<", "verdict"), (9, ">", "base ms"),
            (9, ">", "cand ms"), (6, "<", "stat"), (8, ">", "delta"), (6, ">", "groups")], "engine (vs baseline)",
           rows)
    if any(row[0][5] == "lsum" for row in rows):
        echo(HISTORY_LSUM)


def _no_checks(engine: Any, engine_name: str | None) -> None:
    """Nothing to list: an empty store, or no check of ``engine_name`` (then the engine names it has, escaped;
    not an error: a query that found nothing)."""
    known = history.engine_names(engine) if engine_name else []
    if not known:
        echo("no recorded checks")
        return
    echo(f"no recorded checks of engine '{printable(engine_name)}' (--engine is an exact candidate engine name)")
    echo(f"the store has checks of {len(known)} engine name(s), e.g.:")
    for name in known[:10]:
        echo(f"  '{printable(name)}'")


def _no_such_layer(layer: str, engine: Any, engine_name: str | None) -> None:
    """No measurement of ``layer``: say so (the name escaped, as every name printed) and list a few names the
    store has; not an error (exit 0), a query that found nothing."""
    echo(f"no recorded measurements of '{printable(layer)}'")
    known = history.recorded_names(engine=engine, engine_name=engine_name)
    if known:
        echo("names are exact fusion-group labels or layer names; the latest check recorded, e.g.:")
        for name in known:
            echo(f"  '{printable(name)}'")


Column = tuple[int, str, str]     # width, alignment (">" or "<"), header


def _table(columns: list[Column], name_header: str, rows: list[tuple[list[Any], str]]) -> None:
    """Print a table whose last column is a name (an engine, its baseline) at the terminal's width (COLUMNS):
    numbers stay whole; a long name wraps under its column, or under the row when the terminal is narrow.
    Columns are two spaces apart, one where that is what lets the numbers fit."""
    width = text_width()
    gap = "  " if sum(w for w, _, _ in columns) + 2 * len(columns) + NAME_MIN_ROOM <= width else " "

    def cells(values: list[Any]) -> str:
        return "".join(f"{v!s:{align}{w}}{gap}" for v, (w, align, _) in zip(values, columns, strict=True))

    for line in fit_row(cells([h for _, _, h in columns]), name_header, width):
        echo(term_text(line))
    for values, name in rows:
        for line in fit_row(cells(values), term_text(name), width):
            echo(term_text(line))


def _verify(engine: Any) -> None:
    """The store's soundness: its counts, or every problem (each damaged row: its id and what is wrong), one a
    line on stdout, then one error line (exit 2) naming the first and the checks to delete."""
    problems, damaged = history.verify_report(engine)
    if problems:
        name = history.store.info(engine).name
        echo(term_text(f"{name}: not sound: {len(problems)} problem(s)"))
        for p in problems:
            echo(f"  {term_text(p)}")
        more = f" (and {len(problems) - 1} more, each listed above)" if len(problems) > 1 else ""
        raise TrtInspectError(
            f"the history store is not sound: {problems[0]}{more}", path=name,
            hint=history.damaged_hint(run_ids=damaged) if damaged else None,
        )
    s = history.summary(engine)
    echo(
        f"{s['name']}: sound; schema version {s['schema_version']}; {s['runs']} checks, "
        f"{s['group_measurements']} group rows, {s['layer_measurements']} layer rows"
    )
