"""Times a bundle must hold as finite (and, for times, non-negative) numbers: ONE check, used by the dashboard
(an engine is admitted only when it passes) and by ``check`` (broken evidence never gets a verdict).

The parsers already refuse such values in the files they read (:func:`trtinspect.parsers._io.bad_number`); this
checks whatever a bundle holds (a bundle built in Python, a future source) and says where: the frame, the
column and its name in the exported file, the first bad row (file order), and how many values are bad.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trtinspect.parsers.model import EngineBundle


@dataclass(frozen=True)
class NumberRule:
    """One checked column: its name in the exported file, and whether negative or NaN values are allowed."""

    column: str
    field: str
    negative_ok: bool = False
    nan_ok: bool = False
    what: str = ""          # how a message names the column ("per-layer average time")


Rules = Mapping[str, tuple[NumberRule, ...]]   # frame name (a bundle attribute) -> its checked columns

# What an engine the dashboard draws must hold: every time column (NaN where the source has no such value).
DRAWABLE: Rules = {
    "profile": (
        NumberRule("time_ms", "timeMs"),
        NumberRule("avg_ms", "averageMs"),
        NumberRule("median_ms", "medianMs", nan_ok=True),  # NaN: the source has no median (TensorRT 8.2 era)
        NumberRule("percentage", "percentage", nan_ok=True),
    ),
    "times": tuple(NumberRule(c, c, nan_ok=True) for c in
                   ("latency_ms", "compute_ms", "h2d_ms", "d2h_ms", "enqueue_ms", "compute_start_ms")),
    "summary": (NumberRule("value", "value", negative_ok=True, nan_ok=True),),
}
# What `check` compares: every per-iteration GPU compute time and every per-layer average must be a number.
EVIDENCE: Rules = {
    "times": (NumberRule("compute_ms", "computeMs", what="per-iteration GPU compute time"),),
    "profile": (NumberRule("avg_ms", "averageMs", what="per-layer average time"),),
}
# The input kinds (parsers.kinds) a frame can come from, in the order a message names them.
FRAME_SOURCES: dict[str, tuple[str, ...]] = {
    "profile": ("profile", "trtexec_log", "nsys_sqlite", "nsys_stats_csv"),
    "times": ("times", "nsys_sqlite"),
    "summary": ("trex_profile_metadata", "trtexec_log"),
}


@dataclass(frozen=True)
class BadColumn:
    """A checked column holding values its rule refuses."""

    frame: str
    rule: NumberRule
    first_row: int      # the first bad value's row (file order)
    value: float        # that value
    nan: int            # how many are NaN (or not numbers), infinite, negative
    infinite: int
    negative: int

    @property
    def count(self) -> int:
        return self.nan + self.infinite + self.negative

    def counts_text(self) -> str:
        """``"2 NaN or non-numeric, 1 negative value(s)"``."""
        parts = [f"{n} {what}" for n, what in ((self.nan, "NaN or non-numeric"), (self.infinite, "infinite"),
                                               (self.negative, "negative")) if n]
        return ", ".join(parts) + " value(s)"


def _bad_column(frame_name: str, frame: pd.DataFrame, rule: NumberRule) -> BadColumn | None:
    values = pd.to_numeric(frame[rule.column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    nan = np.isnan(values) if not rule.nan_ok else np.zeros(len(values), dtype=bool)
    inf = np.isinf(values)
    neg = np.isfinite(values) & (values < 0) if not rule.negative_ok else np.zeros(len(values), dtype=bool)
    bad = np.flatnonzero(nan | inf | neg)
    if not len(bad):
        return None
    row = int(bad[0])
    return BadColumn(frame_name, rule, row, float(values[row]), int(nan.sum()), int(inf.sum()), int(neg.sum()))


def bad_columns(bundle: EngineBundle, rules: Rules) -> list[BadColumn]:
    """Every checked column with refused values, frames and columns in the order of ``rules``."""
    out: list[BadColumn] = []
    for frame_name, frame_rules in rules.items():
        frame: pd.DataFrame = getattr(bundle, frame_name)
        if frame.empty:
            continue
        out.extend(b for r in frame_rules if r.column in frame
                   for b in [_bad_column(frame_name, frame, r)] if b is not None)
    return out


def first_bad(bundle: EngineBundle, rules: Rules) -> tuple[BadColumn, int] | None:
    """The first refused value (first frame of ``rules`` with one; its earliest row, then field name) and how
    many values that frame has refused in all; None when every checked number is usable."""
    found = bad_columns(bundle, rules)
    if not found:
        return None
    frame_name = found[0].frame
    same = [b for b in found if b.frame == frame_name]
    first = min(same, key=lambda b: (b.first_row, b.rule.field))
    return first, sum(b.count for b in same)


def source_file(bundle: EngineBundle, frame: str) -> Path | None:
    """The input file a frame came from (its kinds' first file), else the bundle's first file, else None."""
    for kind in FRAME_SOURCES.get(frame, ()):
        if bundle.sources.get(kind):
            return bundle.sources[kind][0]
    return next((p for ps in bundle.sources.values() for p in ps), None)
