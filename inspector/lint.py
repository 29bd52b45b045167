"""The lint engine: run the declared rules over one engine bundle and return a FINDINGS frame.

``lint(bundle)`` is pure (no printing, no file access beyond what the bundle already holds). Every finding
carries its rule, severity, layers, evidence, likely cause, cost in ms per iteration (NaN = cost unknown,
no profile), cost as % of end-to-end GPU compute (else of the per-layer total), confidence
(proven / inferred), mitigation and reference. Several findings on one layer are all kept. Rows are sorted
by cost, highest first; findings of unknown cost come last.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.gcpause import gc_paused
from trtinspect.inspector.rules import RULES, RULES_BY_ID, SEVERITIES, SEVERITY_RANK, Rule, rules_frame
from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.parsers import schema

if TYPE_CHECKING:
    from trtinspect.model import EngineBundle

__all__ = [
    "RENDERERS",
    "RULES",
    "SEVERITIES",
    "flagged_time",
    "lint",
    "rules_frame",
    "select_rules",
    "severity_at_least",
    "to_json",
    "to_markdown",
    "to_sarif",
    "to_text",
]

log = logging.getLogger(__name__)


def select_rules(spec: Sequence[str] | str | None) -> list[Rule]:
    """Rules chosen by ``spec``: ``None`` = all; ids = only those; ids prefixed ``-`` = all but those.

    ``spec`` may be a sequence of ids or one comma-separated string (``"reformat-copy,hot-layer"``,
    ``"-hot-layer,-unstable-timing"``). Unknown ids raise :class:`TrtInspectError` listing the valid ones.
    """
    if spec is None:
        return list(RULES)
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) for s in s.split(",")]
    items = [s for s in items if s]
    if not items:
        return list(RULES)
    unknown = [s.lstrip("-") for s in items if s.lstrip("-") not in RULES_BY_ID]
    if unknown:
        raise TrtInspectError(
            f"unknown lint rule(s): {', '.join(unknown)}",
            hint=f"valid rule ids: {', '.join(RULES_BY_ID)}",
        )
    negative = [s[1:] for s in items if s.startswith("-")]
    positive = [s for s in items if not s.startswith("-")]
    if negative and positive:
        raise TrtInspectError(
            "lint rules: mix of selected and excluded ids",
            hint="either list the rules to run (a,b) or the rules to skip (-a,-b), not both",
        )
    if negative:
        return [r for r in RULES if r.id not in negative]
    return [RULES_BY_ID[s] for s in dict.fromkeys(positive)]


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, -1) >= SEVERITY_RANK[threshold]


def _finding_id(rule_id: str, names: Iterable[str], seen: dict[str, int]) -> str:
    digest = hashlib.blake2b("\x1f".join(names).encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    base = f"{rule_id}-{digest}"
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n + 1}"


def lint(bundle: EngineBundle, rules: Sequence[str] | None = None) -> pd.DataFrame:
    """Findings of the selected rules (all by default) on ``bundle``, as a FINDINGS frame sorted by cost.

    The frame's ``attrs`` hold ``cost_basis`` (what ``cost_pct`` divides by), ``cost_basis_ms``,
    ``has_profile``, ``edges`` ("tensor" or "execution order") and ``rules`` (ids run).
    """
    chosen = select_rules(rules)
    with gc_paused():  # many small acyclic objects on large engines: see trtinspect.gcpause
        ctx = LintContext(bundle)
        cols: dict[str, list[Any]] = {c: [] for c in schema.FINDINGS}
        keys: list[tuple[Any, ...]] = []
        seen: dict[str, int] = {}
        for order, rule in enumerate(chosen):
            for f in rule.check(ctx):
                _append(cols, keys, ctx, rule, f, order, seen)
        perm = sorted(range(len(keys)), key=keys.__getitem__)
        frame = schema.frame_from_columns({c: [v[i] for i in perm] for c, v in cols.items()}, schema.FINDINGS)
    frame.attrs.update(
        {
            "cost_basis": ctx.cost_basis,
            "cost_basis_ms": ctx.total_ms,
            "has_profile": ctx.has_profile,
            "edges": "tensor" if ctx.has_edges else "execution order",
            "rules": [r.id for r in chosen],
            "bundle": bundle.name,
        }
    )
    return frame


def _append(
    cols: dict[str, list[Any]],
    keys: list[tuple[Any, ...]],
    ctx: LintContext,
    rule: Rule,
    f: Finding,
    order: int,
    seen: dict[str, int],
) -> None:
    """Add one finding to the column lists, and its sort key (cost desc, unknown last, severity, rule)."""
    rows = list(dict.fromkeys(f.rows))
    names = [ctx.names[r] for r in rows]
    cost = f.cost_ms if f.cost_ms is not None else (ctx.time_of(rows) if rows else math.nan)
    cost = math.nan if cost is None else float(cost)
    total = ctx.total_ms
    pct = cost / total * 100.0 if total > 0 else math.nan  # NaN propagates from cost and total
    severity = f.severity or rule.severity
    if severity not in SEVERITY_RANK:
        raise ValueError(f"rule {rule.id} produced severity {severity!r}")
    cause = f.cause
    if math.isnan(cost) and not ctx.has_profile:
        cause = f"{cause} (cost unknown: no per-layer profile)"
    indices = [ctx.layer_index[r] for r in rows]
    cols["finding_id"].append(_finding_id(rule.id, names, seen))
    cols["rule_id"].append(rule.id)
    cols["severity"].append(severity)
    cols["title"].append(f.title)
    cols["layer_indices"].append(indices)
    cols["layer_names"].append(names)
    cols["evidence"].append(f.evidence)
    cols["cause"].append(cause)
    cols["cost_ms"].append(cost)
    cols["cost_pct"].append(pct)
    cols["confidence"].append(f.confidence)
    cols["mitigation"].append(f.mitigation or rule.mitigation)
    cols["reference"].append(rule.reference)
    unknown = math.isnan(cost)
    keys.append(
        (unknown, 0.0 if unknown else -cost, -SEVERITY_RANK[severity], order, indices[0] if indices else -1)
    )


# ----------------------------------------------------------------------------------------------- rendering
LEVELS = {"info": "note", "warning": "warning", "error": "error"}  # severity -> SARIF level
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN -> None, tuples -> lists, pandas/numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


def findings_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """The findings as JSON-ready dicts (NaN cost -> None)."""
    cols = list(schema.FINDINGS)
    return [_jsonable({c: rec[c] for c in cols}) for rec in findings.to_dict("records")]


def primary_source(bundle: EngineBundle) -> str | None:
    """The input file a finding points at: the layer JSON, else the profile, else the log."""
    for kind in ("layer_info", "profile", "log", "trtexec_log"):
        files = bundle.sources.get(kind)
        if files:
            return Path(files[0]).as_posix()
    for files in bundle.sources.values():
        if files:
            return Path(files[0]).as_posix()
    return None


def to_json(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    doc = {
        "engine": bundle.name,
        "source": primary_source(bundle),
        "cost_basis": findings.attrs.get("cost_basis"),
        "cost_basis_ms": _jsonable(findings.attrs.get("cost_basis_ms")),
        "has_profile": findings.attrs.get("has_profile"),
        "edges": findings.attrs.get("edges"),
        "rules": findings.attrs.get("rules"),
        "findings": findings_records(findings),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


def _cost_text(cost: float, pct: float) -> str:
    if math.isnan(cost):
        return "cost unknown"
    return f"{cost:.4f} ms" + ("" if math.isnan(pct) else f" ({pct:.1f}%)")


def summary_line(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    """ "N finding(s) (a error, b warning, c info); layers involved take X ms per iteration"."""
    counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
    parts = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts.get(s))
    line = f"{len(findings)} finding(s)" + (f" ({parts})" if parts else "")
    ms = flagged_time(findings, bundle)
    if not math.isnan(ms):
        line += f"; the layers involved take {ms:.4f} ms per iteration (each layer counted once)"
    return line


def flagged_time(findings: pd.DataFrame, bundle: EngineBundle, min_severity: str = "info") -> float:
    """Per-iteration time of the union of layers named by findings at or above ``min_severity``.

    Each layer counts once however many findings name it; NaN without a profile.
    """
    if not bundle.has_profile:
        return math.nan
    keep = [severity_at_least(s, min_severity) for s in findings["severity"].tolist()]
    layers = {
        int(i) for k, idx in zip(keep, findings["layer_indices"].tolist(), strict=True) if k for i in idx
    }
    times = bundle.layer_times()
    sel = times[times["layer_index"].isin(sorted(layers))]
    return float(sel["avg_ms"].sum(skipna=True))


def to_text(findings: pd.DataFrame, bundle: EngineBundle, *, top: int | None = None) -> str:
    lines = [f"trtinspect lint: {bundle.name}"]
    basis = findings.attrs.get("cost_basis", "unknown")
    basis_ms = findings.attrs.get("cost_basis_ms", math.nan)
    if findings.attrs.get("has_profile"):
        lines.append(
            f"costs in ms per iteration; % of {basis}"
            + ("" if basis_ms is None or math.isnan(basis_ms) else f" = {basis_ms:.4f} ms")
        )
    else:
        lines.append("no per-layer profile: costs unknown (structural findings only)")
    lines.append(f"graph edges: {findings.attrs.get('edges', 'unknown')}")
    lines.append(summary_line(findings, bundle))
    shown = findings if top is None else findings.head(top)
    for i, rec in enumerate(shown.to_dict("records"), start=1):
        lines.append("")
        lines.append(
            f"{i:>3}. [{rec['severity']}] {rec['rule_id']}  {_cost_text(rec['cost_ms'], rec['cost_pct'])}"
            f"  {rec['confidence']}"
        )
        lines.append(f"     {rec['title']}")
        lines.append(f"     cause: {rec['cause']}")
        lines.append(f"     try:   {rec['mitigation']}")
    if top is not None and len(findings) > top:
        lines.append("")
        lines.append(f"... {len(findings) - top} more (use --top 0 for all)")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_markdown(findings: pd.DataFrame, bundle: EngineBundle, *, top: int | None = None) -> str:
    shown = findings if top is None else findings.head(top)
    out = [f"# trtinspect lint: {_md(bundle.name)}", "", summary_line(findings, bundle), ""]
    if not findings.attrs.get("has_profile"):
        out += ["No per-layer profile: costs unknown.", ""]
    out += ["| # | severity | rule | cost (ms) | % | confidence | finding |", "|---|---|---|---|---|---|---|"]
    for i, rec in enumerate(shown.to_dict("records"), start=1):
        cost = "unknown" if math.isnan(rec["cost_ms"]) else f"{rec['cost_ms']:.4f}"
        pct = "" if math.isnan(rec["cost_pct"]) else f"{rec['cost_pct']:.1f}"
        out.append(
            f"| {i} | {rec['severity']} | `{rec['rule_id']}` | {cost} | {pct} | {rec['confidence']} | "
            f"{_md(rec['title'])} |"
        )
    out.append("")
    for i, rec in enumerate(shown.to_dict("records"), start=1):
        out += [
            f"**{i}. {_md(rec['title'])}**",
            "",
            f"- cause: {_md(rec['cause'])}",
            f"- try: {_md(rec['mitigation'])} ([reference]({rec['reference']}))",
            "",
        ]
    return "\n".join(out)


SRCROOT = "%SRCROOT%"  # SARIF uriBaseId of relative artifact URIs: the directory trtinspect ran in


def sarif_location(path: str | Path, root: Path | None = None) -> dict[str, Any]:
    """A SARIF ``artifactLocation``: relative URI with ``uriBaseId`` %SRCROOT% when ``path`` lies under
    ``root`` (default: the current directory), else an absolute ``file://`` URI."""
    root = (root or Path.cwd()).resolve()
    p = Path(path)
    absolute = (p if p.is_absolute() else root / p).resolve()
    if absolute.is_relative_to(root) and absolute != root:
        return {"uri": quote(absolute.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    return {"uri": absolute.as_uri()}


def _log_file(bundle: EngineBundle) -> Path | None:
    """The one trtexec log the bundle read, if exactly one (log line numbers refer to it)."""
    logs = [Path(p) for kind in ("trtexec_log", "log") for p in bundle.sources.get(kind, [])]
    return logs[0] if len(dict.fromkeys(logs)) == 1 else None


def _sentence(text: str) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _sarif_message(rec: dict[str, Any]) -> str:
    """Title, cause and cost, each said once (the cause may already say the cost is unknown)."""
    cost, pct, cause = rec["cost_ms"], rec["cost_pct"], str(rec["cause"])
    if cost is not None:
        cost_text = f"Cost {cost:.4f} ms per iteration" + (f" ({pct:.1f}%)." if pct is not None else ".")
    else:
        cost_text = "" if "cost unknown" in cause.lower() else "Cost unknown."
    parts = [_sentence(rec["title"]), _sentence(f"Cause: {cause}"), cost_text]
    return " ".join(p for p in parts if p)


def to_sarif(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    """SARIF 2.1.0: one run, the rule table as ``tool.driver.rules``, one result per finding located at the
    input file (the layer JSON, else the profile or log; the log, with ``region.startLine``, for findings
    taken from a log line) with the layers as logical locations.

    Artifact URIs are relative to the current directory (``uriBaseId`` %SRCROOT%, declared in
    ``originalUriBaseIds``) for files under it, as code-scanning uploads expect; other files get
    absolute ``file://`` URIs."""
    from trtinspect import __version__

    root = Path.cwd().resolve()
    source = primary_source(bundle)
    source_loc = sarif_location(source, root) if source else {"uri": quote(bundle.name)}
    log = _log_file(bundle)
    rule_ids = [r.id for r in RULES]
    driver_rules = [
        {
            "id": r.id,
            "name": "".join(w.capitalize() for w in r.id.split("-")),
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.checks},
            "help": {"text": r.mitigation},
            "helpUri": r.reference,
            "defaultConfiguration": {"level": LEVELS[r.severity]},
        }
        for r in RULES
    ]
    results = []
    for rec in findings_records(findings):
        line_no = (rec["evidence"] or {}).get("line_no") if isinstance(rec["evidence"], dict) else None
        physical: dict[str, Any] = {"artifactLocation": source_loc}
        if log is not None and isinstance(line_no, int) and line_no >= 1:
            physical = {"artifactLocation": sarif_location(log, root), "region": {"startLine": line_no}}
        results.append(
            {
                "ruleId": rec["rule_id"],
                "ruleIndex": rule_ids.index(rec["rule_id"]),
                "level": LEVELS[rec["severity"]],
                "message": {"text": _sarif_message(rec)},
                "locations": [
                    {
                        "physicalLocation": physical,
                        "logicalLocations": [{"name": n, "kind": "member"} for n in rec["layer_names"][:20]],
                    }
                ],
                "partialFingerprints": {"trtinspectFindingId/v1": rec["finding_id"]},
                "properties": {
                    k: rec[k]
                    for k in (
                        "finding_id",
                        "cost_ms",
                        "cost_pct",
                        "confidence",
                        "layer_indices",
                        "layer_names",
                        "evidence",
                        "mitigation",
                    )
                },
            }
        )
    artifacts = [
        {"location": sarif_location(p, root)} for p in dict.fromkeys(p for fs in bundle.sources.values() for p in fs)
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "trtinspect",
                "version": __version__,
                "informationUri": "https://github.com/trtinspect/trtinspect",
                "rules": driver_rules,
            }
        },
        "artifacts": artifacts,
        "results": results,
        "properties": {"engine": bundle.name, "cost_basis": findings.attrs.get("cost_basis")},
    }
    if any(a["location"].get("uriBaseId") == SRCROOT for a in artifacts):
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}}
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(_jsonable(doc), indent=2, ensure_ascii=False)


RENDERERS = {"text": to_text, "json": to_json, "markdown": to_markdown, "sarif": to_sarif}
