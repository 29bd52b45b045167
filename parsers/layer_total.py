"""The per-layer total of a bundle: ms per iteration summed over the profiled layers, and its basis.

trtexec's ``--dumpProfile`` table prints each layer's total time (2 decimals), its average (4 decimals) and a
``Total`` row; the ``=== Profile (N iterations ) ===`` title gives the run count. A sum of the rows' averages
carries their rounding (16 rows of a 10.14 table: 0.0712 summed, 0.0710 printed), and an excerpt of the table
does not hold every layer. So, in order:

1. the ``Total`` row's time / the printed iteration count (``1529.13 ms / 18362``: 0.0832769 ms);
2. the ``Total`` row's average as printed (an excerpt without its title: the count is not printed);
3. the rows' times summed / the iteration count (a table cut before its ``Total`` row);
4. the sum of the rows' averages: ``--exportProfile`` JSON (averages written with 6 significant digits) and
   tables that print neither a total nor a count (said in the basis).

Shares of the total use trtexec's own rule where the table gives times: a row's time / the Total row's time
(``Time(%)``), else the row's average / the total. When the rows cover clearly less than the ``Total`` row
(an excerpt), :attr:`LayerTotal.missing_ms` is the part of the total no row shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

EXCERPT_SHARE = 0.98   # rows covering less than this share of the Total row's time: an excerpt of the table


@dataclass(frozen=True)
class LayerTotal:
    """The per-layer total (ms per iteration) and how it was obtained."""

    ms: float                           # NaN without a profile
    basis: str                          # one sentence: what was divided by what
    iterations: int | None = None       # profiled iterations (printed count, or the JSON's count)
    total_time_ms: float | None = None  # the Total row's time (all iterations), when printed
    rows_avg_ms: float = math.nan       # sum of the rows' printed averages (for comparison)
    missing_ms: float = 0.0             # part of the total that no row of the table shows (an excerpt)

    def share(self, avg_ms: float, time_ms: float | None = None) -> float | None:
        """A row's share of the total in %, with trtexec's rule (time / total time) where both are known."""
        if time_ms is not None and self.total_time_ms and not math.isnan(time_ms):
            return 100.0 * time_ms / self.total_time_ms
        if not self.ms or math.isnan(self.ms) or avg_ms is None or math.isnan(avg_ms):
            return None
        return 100.0 * avg_ms / self.ms


def _finite(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def layer_total(profile: pd.DataFrame, *, iterations: int | None, total_row: dict[str, Any] | None,
                source: str) -> LayerTotal:
    """The total of ``profile`` (a PROFILE frame); ``total_row`` is a log table's ``Total`` row, ``source``
    ``"dumpProfile"`` (a log's table) or anything else (an ``--exportProfile`` JSON, nsys, ``profile``)."""
    if profile.empty:
        return LayerTotal(math.nan, "no per-layer profile")
    avg = profile["avg_ms"].to_numpy("float64", na_value=np.nan)
    rows_avg = math.fsum(avg[~np.isnan(avg)].tolist())  # correctly rounded: the sum diff's rows_total gives
    times = profile["time_ms"].to_numpy("float64", na_value=np.nan)
    rows_time = float(np.nansum(times)) if not np.isnan(times).all() else None
    n = iterations if iterations and iterations > 0 else None
    total = total_row or {}
    t_time, t_avg = _finite(total.get("time_ms")), _finite(total.get("avg_ms"))
    if source != "dumpProfile":
        count = f" (count {n})" if n else ""
        return LayerTotal(rows_avg, f"sum of the {len(profile)} layers' average times{count}", n, None, rows_avg)
    missing = 0.0
    if t_time and rows_time is not None and rows_time < EXCERPT_SHARE * t_time:
        missing = (t_time - rows_time) / (n if n else t_time / t_avg if t_avg else math.inf)
    if t_time is not None and n:
        basis = (f"the --dumpProfile table's Total row: {t_time:g} ms over {n} iterations "
                 f"(trtexec printed the average {t_avg:.4f} ms)" if t_avg is not None else
                 f"the --dumpProfile table's Total row: {t_time:g} ms over {n} iterations")
        return LayerTotal(t_time / n, basis, n, t_time, rows_avg, missing)
    if t_avg is not None:
        implied = f"; {t_time:g} ms in all, about {t_time / t_avg:.0f} iterations" if t_time and t_avg else ""
        basis = (f"the --dumpProfile table's Total row average {t_avg:.4f} ms as printed (the iteration count "
                 f"was not printed{implied})")
        return LayerTotal(t_avg, basis, None, t_time, rows_avg, missing if math.isfinite(missing) else 0.0)
    if n and rows_time is not None:
        basis = (f"the {len(profile)} rows' times summed ({rows_time:g} ms) over {n} iterations (the table has "
                 "no Total row: cut or an excerpt, the engine's total may be larger)")
        return LayerTotal(rows_time / n, basis, n, rows_time, rows_avg)
    return LayerTotal(rows_avg, f"sum of the {len(profile)} rows' averages as printed (4 decimals; the table has "
                      "neither a Total row nor an iteration count)", None, None, rows_avg)


def rows_total(layer_times: pd.DataFrame) -> float:
    """Sum of the profiled layer times of a joined frame (untimed layers count 0 ms); NaN when no layer is timed.
    What ``diff`` reconciles its group deltas with (the rows, not a table's ``Total`` row)."""
    if layer_times.empty or "avg_ms" not in layer_times or not bool(layer_times["avg_ms"].notna().any()):
        return math.nan
    return math.fsum(v for v in layer_times["avg_ms"].tolist() if not math.isnan(v))
