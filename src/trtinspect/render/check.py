"""Renderings of a :class:`~trtinspect.inspector.check.CheckResult` that people and CI systems read.

* :func:`to_text` terminal summary, :func:`to_dict` JSON, :func:`to_markdown` for ``$GITHUB_STEP_SUMMARY``
  and PR comments (verdict first, then regressed groups with A/B times and reasons),
* :func:`to_junit` JUnit XML: one test case per fusion group plus one for end-to-end,
* :func:`github_annotations` ``::error``/``::warning`` workflow commands (used when ``GITHUB_ACTIONS=true``),
* :func:`to_bencher` Bencher Metric Format, :func:`to_benchmark_action` github-action-benchmark
  ``customSmallerIsBetter``.

No I/O here; the CLI writes the strings.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pandas as pd

from trtinspect.inspector.check import CheckResult, EndToEnd, above_floor, centre_word
from trtinspect.inspector.check_inputs import metric_name
from trtinspect.render.escape import UNICODE_CONTROLS, dumps_finite
from trtinspect.textfmt import FILE_WIDTH, fit_row, signed

MAX_ROWS = 15


def _num(x: Any) -> float | None:
    """JSON-safe float (NaN/inf -> None)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _ms(x: Any) -> str:
    v = _num(x)
    return "-" if v is None else f"{v:.4f}"


def _pct(x: Any) -> str:
    v = _num(x)
    if v is None:
        return "new" if x == math.inf else "-"
    return f"{v:+.1f}%"


def _runs(k: int) -> str:
    return f"{k} run{'' if k == 1 else 's'}"


def statistic(e: EndToEnd) -> str:
    """Which statistic the end-to-end numbers are, e.g. "median GPU compute over 1000 vs 1200 iterations"."""
    if e.source == "iterations":
        return f"median GPU compute over {e.n_base} vs {e.n_cand} iterations (pooled runs)"
    if e.source == "runs":
        return (f"median GPU compute as trtexec prints it (median of the per-run medians, {e.n_base} vs "
                f"{e.n_cand} runs)" if max(e.n_base, e.n_cand) > 1 else
                "median GPU compute as trtexec prints it (1 vs 1 runs)")
    if e.source == "layer_sum":
        return f"mean of per-run per-layer profile sums, not GPU compute time ({e.n_base} vs {e.n_cand} runs)"
    return "not available"


TRADED_WHY = "traded for the end-to-end gain"   # the verdict line's and a traded group's annotation's words


def headline(r: CheckResult) -> str:
    e = r.end_to_end
    n = len(r.regressed_groups)
    verdict = "REGRESSION" if r.regressed else "PASS"
    untested = f"threshold only; {r.k_base} vs {r.k_cand} runs, not tested for significance"
    basis = f"; {untested}" if e.untested and e.status in ("regression", "improvement") else ""
    e2e = (
        f"{metric_name(e.source)} {_ms(e.base_ms)} -> {_ms(e.cand_ms)} ms "
        f"({centre_word(e.source)}; {_pct(e.delta_pct)}, {e.status}{basis})"
        if e.source != "none"
        else "end-to-end not available"
    )
    traded = int((r.groups["status"] == "traded").sum()) if not r.groups.empty else 0
    extra = f" ({traded} slower but {TRADED_WHY})" if traded else ""
    if n and (r.regressed_groups["significance"] == "not assessed").all():
        extra += f" ({untested})"
    changed = "".join(f"{c}; " for c in r.changes)  # e.g. a lost --fp16: said before anything else
    return f"{verdict}: {changed}{e2e}; {n} fusion group(s) regressed{extra}{one_sided(r)}"


def one_sided(r: CheckResult) -> str:
    """"; +0.1710 ms in 9 added groups (not judged)" (and removed ones) where any such group's time is at least
    its floor: time no group verdict covers, said where the verdict is (only the end-to-end gate judges it)."""
    g = r.groups
    if g.empty or "floor_ms" not in g:
        return ""
    big = above_floor(g["status"], g["delta_ms"], g["floor_ms"])
    out = ""
    for status in ("added", "removed"):
        rows = g[g["status"] == status]
        if big[rows.index].any():
            n = len(rows)
            out += (f"; {signed(math.fsum(rows['delta_ms'].tolist()), 4, ' ms')} in {n} {status} "
                    f"group{'s' if n != 1 else ''} (not judged)")
    return out


def _e2e_dict(e: EndToEnd) -> dict[str, Any]:
    return {
        "status": e.status,
        "source": e.source,
        "statistic": statistic(e),
        "n_base": e.n_base,
        "n_cand": e.n_cand,
        "base_ms": _num(e.base_ms),
        "cand_ms": _num(e.cand_ms),
        "delta_ms": _num(e.delta_ms),
        "delta_pct": _num(e.delta_pct),
        "p_value": _num(e.p_value),
        "test": e.test,
        "significance": e.significance,
        "reason": e.reason,
        "untested": e.untested or None,
    }


def _group_records(groups: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for g in groups.to_dict("records"):
        rec: dict[str, Any] = {}
        for key, v in g.items():
            k = str(key)
            if isinstance(v, list | tuple):
                rec[k] = [str(x) for x in v]
            elif isinstance(v, float):
                rec[k] = _num(v)
            elif v is pd.NA:
                rec[k] = None
            else:
                rec[k] = v if isinstance(v, int | str | bool) or v is None else str(v)
        rec["delta_pct_infinite"] = g.get("delta_pct") == math.inf
        out.append(rec)
    return out


def to_dict(r: CheckResult) -> dict[str, Any]:
    t = r.thresholds
    return {
        "verdict": r.verdict,
        "exit_code": r.exit_code,
        "headline": headline(r),
        # name: the engine's own name; label: what the text, Markdown and JUnit reports call the side
        "baseline": {"name": r.baseline_name, "label": r.label("baseline"), "runs": r.k_base},
        "candidate": {"name": r.candidate_name, "label": r.label("candidate"), "runs": r.k_cand},
        "changes": list(r.changes),
        "context": {k: v for k, v in r.context.items()},
        "thresholds": {
            "threshold": t.threshold,
            "group_threshold": t.group_threshold,
            "floor_ms": t.floor_ms,
            "floor_share": t.floor_share,
            "min_share": t.min_share,
            "alpha": t.alpha,
            "spread_factor": t.spread_factor,
            "min_runs": t.min_runs,
        },
        "end_to_end": _e2e_dict(r.end_to_end),
        "groups": _group_records(r.groups),
        "overrides": [
            {
                "match": o.match,
                "expires": o.expires.isoformat(),
                "reason": o.reason,
                "group_threshold": o.group_threshold,
                "floor_ms": o.floor_ms,
                "ignore": o.ignore,
            }
            for o in r.overrides
        ],
        "allowed_differences": [
            {"field": d.field, "baseline": d.baseline, "candidate": d.candidate, "where": d.where}
            for d in r.allowed_differences
        ],
        # settings unknown on a side, so not compared: [{"setting", "sides", "why"}] (the notes say them too)
        "settings_not_compared": [e.to_dict() for e in r.settings_not_compared],
        "notes": list(r.notes),
    }


GROUP_TIMES = ("fusion groups: mean ms per iteration (per-layer profile), averaged over runs; base % / cand %: "
               "the group's share of that side's per-layer total time")


def _share(value: Any) -> str:
    v = _num(value)
    return "-" if v is None or v == 0 else f"{v:.1f}%"


def _interesting(r: CheckResult) -> pd.DataFrame:
    g = r.groups
    return g[g["status"].isin(["regression", "traded", "improvement", "added", "removed", "ignored"])]


def to_text(r: CheckResult, *, width: int = FILE_WIDTH) -> str:
    """The verdict for a terminal or CI log. ``width``: the group table fits it (a long group name wraps under
    its column, or under the row on a narrow terminal; numbers stay whole); prose lines are not wrapped (the
    first line is the verdict, kept whole for scripts)."""
    e = r.end_to_end
    lines = [headline(r), ""]
    lines.append(
        f"baseline  {r.side_text('baseline')}   candidate  {r.side_text('candidate')}"
    )
    if r.config_file:
        lines.append(f"config: {r.config_file}")
    if e.source != "none":
        lines.append(f"end-to-end: {statistic(e)}: {e.reason!s}")
    rows = _interesting(r).head(MAX_ROWS)
    if not rows.empty:
        lines.append("")
        lines.append(GROUP_TIMES)
        lines.append(
            f"{'status':<11} {'baseline ms':>11} {'cand ms':>9} {'delta':>9} {'threshold':>10} {'base %':>6} "
            f"{'cand %':>6}  group"
        )
        for g in rows.to_dict("records"):
            cells = (
                f"{g['status']:<11} {_ms(g['base_ms']):>11} {_ms(g['cand_ms']):>9} "
                f"{_pct(g['delta_pct']):>9} {_pct(g['size_threshold_pct']):>10} {_share(g['base_share_pct']):>6} "
                f"{_share(g['cand_share_pct']):>6}  "
            )
            lines += fit_row(cells, term_text(g["label"]), width)
        more = len(_interesting(r)) - len(rows)
        if more > 0:
            lines.append(f"... {more} more (see --json)")
    ok = int((r.groups["status"] == "ok").sum())
    lines.append(f"{ok} group(s) within thresholds")
    size = threshold_summary(r)
    if size:
        lines.append(size)
    unmeasured = int((r.groups["status"] == "unmeasured").sum())
    if unmeasured:
        lines.append(f"{unmeasured} group(s) without a profiled time on one side (not judged; see --json)")
    for d in r.allowed_differences:
        lines.append(f"allowed difference: {d.field} '{d.baseline}' vs '{d.candidate}' ({d.where})")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(term_text(line) for line in lines)


# The controls render.escape shows (C0/C1 but TAB and LF, Unicode line separators, bidirectional controls).
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{UNICODE_CONTROLS}]")


def _shown(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def term_text(text: object) -> str:
    """A name for the terminal: control characters (ANSI escapes, CR, backspace...) shown as ``\\xNN``,
    bidirectional controls (U+202E...) and line separators as ``\\uXXXX`` (render.escape's rule)."""
    return _CONTROL.sub(_shown, str(text).replace("\n", " "))


def threshold_summary(r: CheckResult) -> str | None:
    """One line on the size rule: the threshold of the largest group and the range over groups holding
    >= min_share of the time (a fixed rule: 10% or the absolute floor, not a measured detection limit)."""
    g = r.groups
    if g.empty or "size_threshold_pct" not in g:
        return None
    known = g["size_threshold_pct"].map(lambda v: _num(v) is not None)
    both = g[known & g["base_ms"].map(lambda v: _num(v) is not None)]
    if both.empty:
        return None
    top = both.loc[both["base_ms"].astype(float).idxmax()]
    shares = both["share_pct"].astype(float)
    big = both[shares >= 100 * r.thresholds.min_share]["size_threshold_pct"].astype(float)
    span = f"; {big.min():+.0f}% to {big.max():+.0f}% over the {len(big)} group(s) >= " \
        f"{r.thresholds.min_share:.0%} of time on either side" if len(big) > 1 else ""
    return (
        f"size threshold per group (fixed rule, not a measured detection limit; --json size_threshold_pct): "
        f"largest group {top['label']} "
        f"{_pct(top['size_threshold_pct'])} ({_ms(top['size_threshold_ms'])} ms; "
        f"floor {_ms(top['floor_ms'])} ms){span}"
    )


def _md_escape(text: object) -> str:
    """Plain Markdown table text: HTML and table syntax escaped, one line."""
    t = term_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return t.replace("|", "\\|")


def md_code(text: object) -> str:
    """A Markdown code span that no name can leave: the fence is longer than any backtick run inside
    (CommonMark), ``|`` is escaped for GFM tables, control characters are made visible."""
    t = term_text(text).replace("|", "\\|")
    longest = max((len(m) for m in re.findall("`+", t)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if t.startswith("`") or t.endswith("`") or not t.strip() else ""
    return f"{fence}{pad}{t}{pad}{fence}"


def to_markdown(r: CheckResult) -> str:
    e = r.end_to_end
    icon = ":x:" if r.regressed else ":white_check_mark:"
    out = [f"### {icon} trtinspect check: {_md_escape(headline(r))}", ""]
    out.append(
        f"Baseline {md_code(r.label('baseline'))} ({_runs(r.k_base)}) vs candidate {md_code(r.label('candidate'))} "
        f"({_runs(r.k_cand)}); thresholds: end-to-end {r.thresholds.threshold:.0%}, "
        f"group {r.thresholds.group_threshold:.0%}, floor min({r.thresholds.floor_ms} ms, "
        f"{r.thresholds.floor_share:.1%} of the engine) or 3x the run-to-run spread, "
        f"share {r.thresholds.min_share:.0%}."
    )
    out.append("")
    out.append("| | baseline ms | candidate ms | delta | test |")
    out.append("|---|---:|---:|---:|---|")
    out.append(
        f"| end-to-end: {statistic(e)} | {_ms(e.base_ms)} | {_ms(e.cand_ms)} | "
        f"{_pct(e.delta_pct)} | {_md_escape(str(e.reason))} |"
    )
    reg = r.regressed_groups
    for title, frame in (
        ("Regressed fusion groups", reg),
        ("Other changes", _interesting(r)[lambda d: d["status"] != "regression"]),
    ):
        if frame.empty:
            continue
        out += [
            "",
            f"#### {title}",
            "",
            "| status | group | kind | baseline ms (mean) | candidate ms (mean) | delta | threshold (size rule) "
            "| why |",
            "|---|---|---|---:|---:|---:|---:|---|",
        ]
        for g in frame.head(MAX_ROWS).to_dict("records"):
            out.append(
                f"| {g['status']} | {md_code(g['label'])} | {g['kind']} | {_ms(g['base_ms'])} | "
                f"{_ms(g['cand_ms'])} | {_pct(g['delta_pct'])} | {_pct(g['size_threshold_pct'])} | "
                f"{_md_escape(str(g['reason']))} |"
            )
        if len(frame) > MAX_ROWS:
            out.append(f"\n{len(frame) - MAX_ROWS} more (use --json for all).")
    size = threshold_summary(r)
    if size:
        out += ["", _md_escape(size)]
    if r.notes or r.allowed_differences:
        out += ["", "<details><summary>Notes</summary>", ""]
        out += [
            f"- allowed difference: {d.field} {md_code(d.baseline)} vs {md_code(d.candidate)}"
            for d in r.allowed_differences
        ]
        out += [f"- {_md_escape(n)}" for n in r.notes]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


# Characters XML 1.0 allows (https://www.w3.org/TR/xml/#charsets); everything else is written as \\xNN.
# Bidirectional controls and line separators are allowed by XML but reorder or break what a reader shows: also
# written as \\uNNNN (render.escape's rule).
_XML_FORBIDDEN = re.compile(f"[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[{UNICODE_CONTROLS}]")


def xml_text(text: object) -> str:
    """``text`` with the characters XML 1.0 forbids (C0 controls but TAB/LF/CR, lone surrogates, U+FFFE/FFFF)
    replaced by a visible ``\\xNN`` / ``\\uNNNN``, so the report stays well-formed whatever a layer is named."""
    return _XML_FORBIDDEN.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        str(text),
    )


def to_junit(r: CheckResult) -> str:
    """JUnit XML: one ``testcase`` for end-to-end plus one per fusion group (failures = regressions). Every
    name and message goes through :func:`xml_text` (ElementTree escapes ``<&"`` but not control characters)."""
    suite = ET.Element("testsuite", name=xml_text(f"trtinspect check {r.label('candidate')}"))
    if r.settings_not_compared:   # what the notes say of them, one property per setting (JUnit has no notes)
        props = ET.SubElement(suite, "properties")
        for n in r.settings_not_compared:
            ET.SubElement(props, "property", name=xml_text(f"settings_not_compared.{n.setting}"),
                          value=xml_text(f"unknown for {' and '.join(n.sides)}: {n.why}"))
    cases: list[ET.Element] = []
    e = r.end_to_end
    case = ET.Element("testcase", classname="trtinspect.check", name=_e2e_name(e))
    e_reason = xml_text("".join(f"{c}; " for c in r.changes) + f"{statistic(e)}: {e.reason!s}")
    if e.status == "regression":
        ET.SubElement(case, "failure", message=e_reason, type="regression").text = e_reason
    elif e.status == "unavailable":
        ET.SubElement(case, "skipped", message=xml_text(e.reason))
    else:
        ET.SubElement(case, "system-out").text = e_reason
    cases.append(case)
    for g in r.groups.to_dict("records"):
        c = ET.Element(
            "testcase", classname="trtinspect.check.groups", name=xml_text(f"{g['group_id']}: {g['label']}")
        )
        reason = xml_text(g["reason"])
        if g["status"] == "regression":
            ET.SubElement(c, "failure", message=reason, type="regression").text = reason
        elif g["status"] == "ignored":
            ET.SubElement(c, "skipped", message=reason)
        else:
            ET.SubElement(c, "system-out").text = f"{g['status']}: {reason}"
        cases.append(c)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.extend(cases)
    root = ET.Element("testsuites", name="trtinspect", tests=str(len(cases)), failures=str(failures))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def gh_data(text: object) -> str:
    """Escape the message (data) of a GitHub Actions workflow command: ``%``, CR, LF (as ``@actions/core``
    ``escapeData`` does), so a name can neither end the command nor start a new one."""
    escaped = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return _CONTROL.sub(_shown, escaped)  # and no terminal escapes or bidirectional controls in the log


def gh_property(text: object) -> str:
    """Escape a workflow-command property value (``title=...``): the data escapes plus ``:`` and ``,``
    (``@actions/core`` ``escapeProperty``), so a name cannot add ``file=``/``line=`` properties or end the
    property list."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _gh(kind: str, title: str, message: str) -> str:
    return f"::{kind} title={gh_property(title)}::{gh_data(message)}"


def github_annotations(r: CheckResult) -> list[str]:
    """``::error``/``::warning`` workflow commands: errors for regressions, warnings for expired overrides,
    added/removed time and significant-but-small end-to-end changes. Every property and message is escaped
    (:func:`gh_property`, :func:`gh_data`)."""
    out = []
    e = r.end_to_end
    for change in r.changes:
        out.append(_gh("warning", "trtinspect: build changed", change))
    e_text = f"{statistic(e)}: {e.reason!s}"
    if e.status == "regression":
        out.append(_gh("error", f"trtinspect: {_gate(e)} regression", e_text))
    elif e.significance == "significant" and (e.delta_pct or 0) > 0:
        out.append(_gh("warning", f"trtinspect: {_gate(e)} slower (below threshold)", e_text))
    for g in r.groups.to_dict("records"):
        title = f"trtinspect: {g['label']}"
        if g["status"] == "regression":
            out.append(_gh("error", title, str(g["reason"])))
        elif g["status"] == "traded":  # says why it does not fail, as the verdict line does
            out.append(_gh("warning", title, f"{TRADED_WHY}: {g['reason']}"))
        elif g["status"] in ("added", "removed") and abs(g["delta_ms"]) >= g["floor_ms"]:
            out.append(_gh("warning", title, str(g["reason"])))
    for o in r.expired:
        out.append(
            _gh(
                "warning",
                "trtinspect: expired override",
                f"{o.match} expired on {o.expires.isoformat()} and was ignored; renew or remove it",
            )
        )
    return out


def _e2e_name(e: EndToEnd) -> str:
    """The end-to-end figure's name (a test case / metric name): ``end-to-end GPU compute``, or ``per-layer
    profile sum`` (another figure, so another series) when that was compared."""
    return metric_name(e.source, short=True) if e.source != "none" else "end-to-end GPU compute"


def _gate(e: EndToEnd) -> str:
    return "per-layer profile sum" if e.source == "layer_sum" else "end-to-end"


def _bench_name(r: CheckResult, part: str) -> str:
    return f"{r.candidate_name}/{part}"


def to_bencher(r: CheckResult) -> dict[str, Any]:
    """Bencher Metric Format: the candidate's numbers under the built-in ``latency`` measure (nanoseconds)."""
    out: dict[str, Any] = {}
    e = r.end_to_end
    if _num(e.cand_ms) is not None:
        m: dict[str, float] = {"value": e.cand_ms * 1e6}
        if _num(e.cand_low_ms) is not None and _num(e.cand_high_ms) is not None:
            m["lower_value"], m["upper_value"] = e.cand_low_ms * 1e6, e.cand_high_ms * 1e6
        out[_bench_name(r, _e2e_name(e).lower())] = {"latency": m}
    for g in r.groups.to_dict("records"):
        v = _num(g["cand_ms"])
        if v is not None:
            out[_bench_name(r, str(g["label"]))] = {"latency": {"value": v * 1e6}}
    return out


def to_benchmark_action(r: CheckResult) -> list[dict[str, Any]]:
    """github-action-benchmark ``customSmallerIsBetter`` entries (name, unit, value, range, extra)."""
    out = []
    e = r.end_to_end
    if _num(e.cand_ms) is not None:
        entry: dict[str, Any] = {
            "name": _bench_name(r, _e2e_name(e).lower()),
            "unit": "ms",
            "value": round(e.cand_ms, 6),
            "extra": statistic(e),
        }
        if _num(e.cand_low_ms) is not None and _num(e.cand_high_ms) is not None:
            entry["range"] = f"± {(e.cand_high_ms - e.cand_low_ms) / 2:.6f}"
        out.append(entry)
    for g in r.groups.to_dict("records"):
        v = _num(g["cand_ms"])
        if v is not None:
            item: dict[str, Any] = {
                "name": _bench_name(r, str(g["label"])),
                "unit": "ms",
                "value": round(v, 6),
                "extra": f"{g['kind']}; {g['status']}",
            }
            if _num(g["spread_ms"]) is not None:
                item["range"] = f"± {g['spread_ms']:.6f}"
            out.append(item)
    return out


def _json(r: CheckResult) -> str:
    return dumps_finite(to_dict(r), indent=2) + "\n"   # inf / NaN as null, as every JSON output


# the renderer contract (trtinspect.render): format -> fn(CheckResult) -> str
FORMATS: dict[str, Callable[..., str]] = {
    "text": to_text,
    "json": _json,
    "markdown": to_markdown,
    "junit": to_junit,
    "bencher": lambda r: dumps_finite(to_bencher(r), indent=2) + "\n",
    "benchmark-json": lambda r: dumps_finite(to_benchmark_action(r), indent=2) + "\n",
    "annotations": lambda r: "".join(line + "\n" for line in github_annotations(r)),
}
