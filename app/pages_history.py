"""History page: recorded checks (``trtinspect check --record``) from the store given by ``--history``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from dash import dcc, html

from trtinspect.app.tables import grid
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check_inputs import centre_word, metric_name

MAX_RUNS = 500
RUN_COLUMNS = [
    ("id", "check"),
    ("created_at", "recorded (UTC)"),
    ("engine", "engine"),
    ("baseline", "baseline"),
    ("verdict", "verdict"),
    ("e2e_base_ms", "base ms"),
    ("e2e_cand_ms", "cand ms"),
    ("statistic", "statistic"),  # median of iterations or mean per run (the check's end-to-end centre)
    ("e2e_delta_pct", "delta %"),
    ("n_regressed_groups", "regressed groups"),
    ("device", "GPU"),
]


class HistoryStore:
    """Read-only access to one history database (connected once, reused by every callback)."""

    def __init__(self, url: str) -> None:
        from trtinspect.inspector import history

        self._history = history
        self.url = url
        self.engine = history.connect(url, create=False)

    def runs(self, engine_name: str | None = None) -> pd.DataFrame:
        frame: pd.DataFrame = self._history.list_runs(
            engine=self.engine, engine_name=engine_name or None, limit=MAX_RUNS
        )
        return frame

    def engine_names(self) -> list[str]:
        """Engine names, the one with most recorded checks first."""
        return self._history.engine_names(self.engine)

    def labels(self, engine_name: str | None) -> list[str]:
        """Fusion-group labels and layer names recorded for an engine (groups first)."""
        return self._history.labels(self.engine, engine_name)

    def trend(self, label: str, engine_name: str | None) -> pd.DataFrame:
        frame: pd.DataFrame = self._history.layer_trend(
            label, engine=self.engine, engine_name=engine_name or None
        )
        return frame


def run_records(runs: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for r in runs.to_dict(orient="records"):
        row = {col: r.get(col) for col, _ in RUN_COLUMNS}
        row["created_at"] = str(r.get("created_at"))[:19]
        source = r.get("e2e_source")   # a per-layer profile sum says so: it is not GPU compute time
        row["statistic"] = centre_word(source) + (f" {metric_name(source)}" if source == "layer_sum" else "")
        for col in ("e2e_base_ms", "e2e_cand_ms", "e2e_delta_pct"):
            v = row[col]
            row[col] = None if v is None or pd.isna(v) else round(float(v), 4)
        out.append(row)
    return out


def layout(store: HistoryStore | None, error: str | None = None) -> html.Div:
    if store is None:
        text = error or (
            "No check history given: start the server with `trtinspect serve --history URL` (an SQLite "
            "file or SQLAlchemy URL written by `trtinspect check --record`)."
        )
        return html.Div([html.H2("History"), html.P(text, className="muted", id="history-missing")])
    try:
        names = store.engine_names()
        runs = store.runs()
    except (TrtInspectError, sa.exc.SQLAlchemyError) as exc:
        return html.Div(
            [html.H2("History"), html.P(f"cannot read the history store: {exc}", className="error")]
        )
    return html.Div(
        [
            html.H2("History"),
            html.P(f"{len(runs)} recorded checks (newest first).", className="muted"),
            html.Div(
                [
                    html.Label("engine"),
                    dcc.Dropdown(
                        id="history-engine",
                        options=names,
                        value=names[0] if names else None,
                        className="pick",
                    ),
                ],
                className="controls",
            ),
            dcc.Graph(id="history-e2e", config={"displaylogo": False}),
            html.Div(
                [
                    html.Label("layer or fusion group"),
                    dcc.Dropdown(id="history-label", options=[], value=None, className="pick wide"),
                ],
                className="controls",
            ),
            dcc.Graph(id="history-trend", config={"displaylogo": False}),
            html.H3("Recorded checks"),
            grid(
                "history-runs",
                RUN_COLUMNS,
                run_records(runs),
                numeric=("id", "e2e_base_ms", "e2e_cand_ms", "e2e_delta_pct", "n_regressed_groups"),
            ),
        ]
    )
