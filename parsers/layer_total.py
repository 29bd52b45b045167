"""The per-layer total of a bundle: ms per iteration summed over the profiled layers, and its basis.

trtexec's ``--dumpProfile`` table prints each layer's total time (2 decimals), its average (4 decimals; 2 in
TensorRT 7) and a ``Total`` row; the ``=== Profile (N iterations ) ===`` title gives the run count. trtexec's
``Time %`` is a layer's time over the total time. A sum of the rows' printed averages carries their rounding (the
15 rows of a 10.16 table: 0.0833 summed, 0.08328 by the Total row; shares summing to 100.03%) and an excerpt of
the table does not hold every layer. So the total is, in order:

1. the ``Total`` row's time / the printed iteration count (``1529.13 ms / 18362``: 0.0832769 ms);
2. the ``Total`` row's average as printed (an excerpt without its title: the count is not printed);
3. the rows' times summed / the iteration count (a table cut before its ``Total`` row);
4. the sum of the rows' averages: ``--exportProfile`` JSON (averages written with 6 significant digits) and
   tables that print neither a total nor a count (said in the basis).

Each layer's per-iteration time follows the same rule (:func:`per_iteration_profile`, the times every command
reads through the bundle's join): where the table prints times, a layer's time is its ``Time(ms)`` share of the
total, i.e. ``time / total time`` as trtexec's ``Time %`` (:attr:`LayerTotal.scale`). The rows of a whole table
then add up to the total exactly (their printed times may differ from the ``Total`` row by the 2-decimal
rounding: the rows' summed time is the denominator) and every share is of ONE figure, the total. When the rows
cover less than the ``Total`` row beyond that rounding (an excerpt), a row's time is its ``Time(ms)`` over the
``Total`` row's, and :attr:`LayerTotal.missing_ms` is the part of the total no row shows (``ms`` minus the rows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ROUNDING_MS = 0.005   # half a unit of the 2 decimals trtexec prints Time(ms) with


@dataclass(frozen=True)
class LayerTotal:
    """The per-layer total (ms per iteration) and how it was obtained."""

    ms: float                           # NaN without a profile
    basis: str                          # one sentence: what was divided by what
    iterations: int | None = None       # profiled iterations (printed count, or the JSON's count)
    total_time_ms: float | None = None  # the Total row's time (all iterations), when printed
    rows_avg_ms: float = math.nan       # the rows' per-iteration times summed, on this basis (ms - missing_ms)
    missing_ms: float = 0.0             # part of the total that no row of the table shows (an excerpt)
    scale: float | None = None          # a row's per-iteration ms = its Time(ms) x scale; None: its average

    def share(self, ms: float | None) -> float | None:
        """Per-iteration ms (of layers, on this basis) as a % of the total: the one denominator every share
        uses. On a ``--dumpProfile`` table a layer's share is trtexec's rule, its time over the total time."""
        if not self.ms or math.isnan(self.ms) or ms is None or math.isnan(ms):
            return None
        return 100.0 * ms / self.ms


def _finite(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _printed(texts: Mapping[str, str] | None, key: str, value: float, fmt: str) -> str:
    """The Total row's value as trtexec printed it (``3.62``), else formatted (``fmt``)."""
    text = (texts or {}).get(key)
    return text if text else format(value, fmt)


def layer_total(profile: pd.DataFrame, *, iterations: int | None, total_row: Mapping[str, Any] | None,
                source: str, total_text: Mapping[str, str] | None = None) -> LayerTotal:
    """The total of ``profile`` (a PROFILE frame); ``total_row`` is a log table's ``Total`` row (its printed
    text in ``total_text``: ``time_ms``, ``avg_ms``), ``source`` ``"dumpProfile"`` (a log's table) or anything
    else (an ``--exportProfile`` JSON, nsys, ``profile``)."""
    if profile.empty:
        return LayerTotal(math.nan, "no per-layer profile")
    avg = profile["avg_ms"].to_numpy("float64", na_value=np.nan)
    rows_avg = math.fsum(avg[~np.isnan(avg)].tolist())  # correctly rounded: the sum diff's rows_total gives
    n = iterations if iterations and iterations > 0 else None
    if source != "dumpProfile":
        count = f" (count {n})" if n else ""
        return LayerTotal(rows_avg, f"sum of the {len(profile)} layers' average times{count}", n, None, rows_avg)
    times = profile["time_ms"].to_numpy("float64", na_value=np.nan)
    rows_time = math.fsum(times.tolist()) if not np.isnan(times).any() else None
    total = total_row or {}
    t_time, t_avg = _finite(total.get("time_ms")), _finite(total.get("avg_ms"))
    if rows_time is not None and t_time:
        if n:
            avg_text = (f" (trtexec printed the average {_printed(total_text, 'avg_ms', t_avg, '.4f')} ms)"
                        if t_avg is not None else "")
            head = (f"the --dumpProfile table's Total row: {_printed(total_text, 'time_ms', t_time, 'g')} ms "
                    f"over {n} iterations{avg_text}")
            return _with_times(t_time / n, head, n, t_time, rows_time, len(profile))
        if t_avg is not None:
            head = (f"the --dumpProfile table's Total row average {_printed(total_text, 'avg_ms', t_avg, '.4f')} "
                    f"ms as printed (the iteration count was not printed; "
                    f"{_printed(total_text, 'time_ms', t_time, 'g')} ms in all, about {t_time / t_avg:.0f} "
                    "iterations)")
            return _with_times(t_avg, head, None, t_time, rows_time, len(profile))
    if t_avg is not None and not (n and rows_time is not None):
        printed = _printed(total_text, "avg_ms", t_avg, ".4f")
        basis = f"the --dumpProfile table's Total row average {printed} ms as printed"
        return LayerTotal(t_avg, basis, None, t_time, rows_avg)
    if n and rows_time is not None:
        implied = _total_from_shares(profile, rows_time)
        if implied is not None:   # an excerpt: its Time % column says how much of the engine's time it holds
            pct, t_total = implied
            basis = (f"the engine's total time recovered from the printed Time % column: the {len(profile)} "
                     f"rows' {rows_time:g} ms are {pct:g}% of it, so about {t_total:.6g} ms over {n} iterations "
                     f"(the table has no Total row; an estimate, Time % is printed with 1 decimal); a layer's "
                     "part: its Time(ms) / that total, trtexec's Time % rule")
            ms = t_total / n
            return LayerTotal(ms, basis, n, t_total, rows_time / n, ms - rows_time / n, 1.0 / n)
        basis = (f"the {len(profile)} rows' times summed ({rows_time:g} ms) over {n} iterations (the table has "
                 "no Total row: cut or an excerpt, the engine's total may be larger)")
        return LayerTotal(rows_time / n, basis, n, rows_time, rows_time / n, 0.0, 1.0 / n)
    return LayerTotal(rows_avg, f"sum of the {len(profile)} rows' averages as printed (4 decimals; the table has "
                      "neither a Total row nor an iteration count)", None, None, rows_avg)


# Time % is printed with 1 decimal: rows whose shares add up to less than this are an excerpt of the table.
EXCERPT_MAX_PCT = 99.0


def _total_from_shares(profile: pd.DataFrame, rows_time: float) -> tuple[float, float] | None:
    """(the rows' summed Time %, the engine's total time it implies: rows_time / that share) for the rows of a
    table without its Total row whose printed Time % add up to clearly less than 100 (an excerpt); None when
    the column is absent, not all positive and finite, or the rows hold (about) the whole table."""
    if "percentage" not in profile or not rows_time > 0:
        return None
    pct = profile["percentage"].to_numpy("float64", na_value=np.nan)
    if len(pct) == 0 or not bool(np.isfinite(pct).all()) or not bool((pct > 0).all()):
        return None
    share = math.fsum(pct.tolist())
    if share >= EXCERPT_MAX_PCT:
        return None
    return share, rows_time / (share / 100.0)


def _with_times(ms: float, head: str, n: int | None, t_time: float, rows_time: float, rows: int) -> LayerTotal:
    """A ``Total`` row and rows that all print their time: each row's part of ``ms`` is its time share."""
    if rows_time < t_time - ROUNDING_MS * (rows + 1):   # an excerpt: the rows hold clearly less than Total
        scale = ms / t_time
        rows_ms = rows_time * scale
        tail = "; a layer's part: its Time(ms) / the Total row's, trtexec's Time % rule"
        return LayerTotal(ms, head + tail, n, t_time, rows_ms, ms - rows_ms, scale)
    if f"{rows_time:.2f}" == f"{t_time:.2f}":
        tail = "; a layer's part: its Time(ms) / the rows' summed Time(ms), trtexec's Time % rule"
    elif rows_time <= t_time + ROUNDING_MS * (rows + 1):
        tail = (f"; a layer's part: its Time(ms) / the rows' summed {rows_time:.2f} ms (2-decimal rounding), "
                "trtexec's Time % rule")
    else:
        tail = (f"; a layer's part: its Time(ms) / the rows' summed {rows_time:.2f} ms, more than the Total "
                "row (rows repeated or edited?)")
    return LayerTotal(ms, head + tail, n, t_time, ms, 0.0, ms / rows_time if rows_time else None)


def per_iteration_profile(profile: pd.DataFrame, total: LayerTotal) -> pd.DataFrame:
    """``profile`` with ``avg_ms`` on the total's basis: a ``--dumpProfile`` row's ``Time(ms)`` x
    :attr:`LayerTotal.scale` (its share of the total, trtexec's ``Time %`` rule, unrounded); the frame itself
    when the averages are the basis. ``bundle.profile`` keeps the averages as printed."""
    if total.scale is None or profile.empty:
        return profile
    return profile.assign(avg_ms=profile["time_ms"].astype("float64") * total.scale)


def rows_total(layer_times: pd.DataFrame) -> float:
    """Sum of the profiled layer times of a joined frame (untimed layers count 0 ms); NaN when no layer is timed.
    What ``diff`` reconciles its group deltas with (the rows, not a table's ``Total`` row)."""
    if layer_times.empty or "avg_ms" not in layer_times or not bool(layer_times["avg_ms"].notna().any()):
        return math.nan
    return math.fsum(v for v in layer_times["avg_ms"].tolist() if not math.isnan(v))
