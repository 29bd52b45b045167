"""The ``--dumpProfile`` per-layer table of a trtexec log, in both layouts (8.6+ with ``Avg. Time (ms)`` /
``Median``, before 8.6 ``Time(ms) Avg.(ms) [Median(ms)] Time %``) and as headerless excerpt rows: the part of the
log parser's state machine that reads it (split from :mod:`trtinspect.parsers.trtexec_log`; behaviour
unchanged). :class:`ProfileReader` is a mixin of the parser: it reads and sets the parser state declared below."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, schema
from trtinspect.parsers import trtexec_log_sections as sec

if TYPE_CHECKING:
    from trtinspect.parsers.trtexec_log import TrtexecLog


def profile_iterations(digits: str, path: Any) -> int:
    """The run count of a ``=== Profile (N iterations ) ===`` title: a whole number from 1 to a 64-bit count, as a
    profile JSON's ``{"count": N}`` (0, -1, 1e3 or 10**400 iterations is an edited table: refused, the number cut)."""
    whole = digits.isascii() and digits.isdigit()
    n = int(digits) if whole and len(digits) <= 20 else None
    if n is None or not 1 <= n <= _io.MAX_COUNT:
        why = ("beyond any real run" if whole and (n is None or n > _io.MAX_COUNT)
               else "a whole number of at least 1")
        raise TrtInspectError(f"--dumpProfile table: its title says {_io.clip(digits)} iterations, not a number of "
                              f"profiled iterations ({why})", path=path,
                              hint="the layer profile table is damaged or edited; re-run trtexec with --dumpProfile")
    return n


@dataclass
class ProfileTable:
    iterations: int | None
    layout: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, float] | None = None
    total_text: dict[str, str] | None = None
    has_median: bool = True
    ncols: int | None = None


class ProfileReader:
    """The profile-table methods of the log parser (``trtexec_log._Parser``)."""

    out: TrtexecLog
    section: str | None
    profile: ProfileTable | None
    profiles: list[ProfileTable]
    pending: list[tuple[int, str]]    # candidate headerless profile rows

    def _note(self, note: str) -> None:
        raise NotImplementedError

    def _profile_line(self, body: str, stripped: str) -> bool:
        prof = self.profile
        if prof is None or not stripped:
            self.section = None
            return bool(prof is not None and not stripped)
        if prof.layout is None:
            new = sec.PROFILE_HEADER_NEW.match(stripped)
            if new is not None:
                prof.layout, prof.has_median = "8.6+", new.group("median") is not None
                return True
            old = sec.PROFILE_HEADER_OLD.match(stripped)
            if old is not None:
                prof.layout, prof.ncols = "pre-8.6", 4 if old.group("median") else 3
                return True
        row = self._profile_row(prof, body)
        if row is None:
            self.section = None
            return False
        if row["name"] == "Total":
            prof.total = {k: row[k] for k in ("time_ms", "avg_ms", "median_ms", "percentage")}
            prof.total_text = sec.printed_text(row)
            self.section = None
        else:
            prof.rows.append(row)
        return True

    def _profile_header(self, stripped: str) -> bool:
        """A table header without its ``=== Profile (N iterations ) ===`` title (an excerpt)."""
        if sec.PROFILE_HEADER_NEW.match(stripped) or sec.PROFILE_HEADER_OLD.match(stripped):
            self._flush_pending()
            self.profile = ProfileTable(iterations=None, layout=None)
            self.profiles.append(self.profile)
            self.section = "profile"
            return self._profile_line(stripped, stripped)
        return False

    @staticmethod
    def _profile_row(prof: ProfileTable, body: str) -> dict[str, Any] | None:
        if prof.layout == "8.6+":
            return sec.profile_row_new(body, prof.has_median)
        if prof.layout == "pre-8.6":
            return sec.profile_row_old(body, prof.ncols)[0]
        row = sec.profile_row_new(body)  # header line missing: let the row tell its layout
        if row is not None:
            prof.layout = "8.6+"
            return row
        row, n = sec.profile_row_old(body, None)
        if row is not None:
            prof.layout, prof.ncols = "pre-8.6", n
        return row

    def _flush_pending(self) -> None:
        """Accept a run of headerless profile rows when it looks like one table (see docs)."""
        lines, self.pending = self.pending, []
        if not lines:
            return
        bodies = [b for _, b in lines]
        new_rows = [sec.profile_row_new(b) for b in bodies]
        if all(r is not None for r in new_rows):
            rows: list[dict[str, Any]] = [r for r in new_rows if r is not None]
        else:
            counts = [len(b.split()) for b in bodies]
            total_line = next((b for b in bodies if b.strip().split()[0] == "Total"), None)
            ncols = (len(total_line.split()) - 1) if total_line else min(
                sec.profile_row_old(b, None)[1] or 3 for b in bodies)
            ncols = min(max(ncols, 3), 4)
            parsed = [sec.profile_row_old(b, ncols)[0] for b in bodies]
            if any(r is None for r in parsed) or not counts:
                return
            rows = [r for r in parsed if r is not None]
        total, total_text = None, None
        if rows and rows[-1]["name"] == "Total":
            last = rows.pop()
            total = {k: last[k] for k in ("time_ms", "avg_ms", "median_ms", "percentage")}
            total_text = sec.printed_text(last)
        if not ((total is not None and rows) or len(rows) >= 3) or not sec.consistent_rows(rows):
            return
        prof = ProfileTable(iterations=None, layout="headerless", rows=rows, total=total,
                            total_text=total_text if total is not None else None)
        self.profiles.append(prof)

    def _finish_profile(self) -> None:
        """The last table that has rows becomes the log's profile (refused when damaged, noted when its Total
        disagrees with its rows)."""
        out = self.out
        profiles = [p for p in self.profiles if p.rows]
        if profiles:
            prof = profiles[-1]
            rows = [dict(r, row=i) for i, r in enumerate(prof.rows)]
            out.profile = schema.frame_from_records(rows, schema.PROFILE)
            out.profile_iterations, out.profile_total = prof.iterations, prof.total
            out.profile_total_text = prof.total_text
            out.profile_layout = prof.layout
            if len(profiles) > 1:
                self._note(f"{len(profiles)} layer profile tables found; the last one is used")
            self._refuse_bad_profile(prof)
            if prof.total is not None:
                self._check_profile_total(prof)

    def _refuse_bad_profile(self, prof: ProfileTable) -> None:
        """A --dumpProfile table with a non-finite, absurd or negative value, or a Total row of 0 ms over rows
        that took time, is damaged evidence: one line naming the row, exit 2 (never a diff or a PASS on it)."""
        keys = (("time_ms", "Time(ms)"), ("avg_ms", "Avg.(ms)"), ("median_ms", "Median(ms)"),
                ("percentage", "Time(%)"))
        rows = [*prof.rows, *([dict(prof.total, name="Total")] if prof.total is not None else [])]
        median_column = (prof.layout == "8.6+" and prof.has_median) or prof.ncols == 4
        for i, row in enumerate(rows):
            for key, label in keys:
                value = row.get(key)
                if key == "median_ms" and value != value and not median_column:
                    continue        # no Median column (before TensorRT 8.4), or a headerless excerpt
                why = _io.bad_number(label, value)
                if why is not None:
                    where = "the Total row" if row["name"] == "Total" and i == len(prof.rows) else \
                        f"row {i + 1} ({row['name'][:60]!r})"
                    raise TrtInspectError(f"--dumpProfile table, {where}: {why}", path=self.out.path,
                                          hint="the layer profile table is damaged or edited; re-run trtexec "
                                               "with --dumpProfile")
        summed = sum(r["time_ms"] for r in prof.rows)
        if prof.total is not None and prof.total.get("time_ms") == 0 and prof.rows:
            what = f"its rows sum to {summed:.2f} ms" if summed > 0 else "so does every row: no time was measured"
            raise TrtInspectError(f"--dumpProfile table: the Total row says 0 ms but {what}", path=self.out.path,
                                  hint="the layer profile table is damaged or edited; re-run trtexec with "
                                       "--dumpProfile")

    def _check_profile_total(self, prof: ProfileTable) -> None:
        total = prof.total or {}
        summed = sum(r["time_ms"] for r in prof.rows)
        reported = total.get("time_ms", math.nan)
        if reported and abs(summed - reported) > max(0.02 * reported, 0.01 * len(prof.rows)):
            self._note(f"profile rows sum to {summed:.2f} ms but the Total row says {reported:.2f} ms "
                       "(an excerpt, or rows were lost)")
