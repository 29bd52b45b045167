"""Render lint findings (:func:`trtinspect.inspector.lint.lint`'s FINDINGS frame): text, markdown, JSON, SARIF."""

from __future__ import annotations

import functools
import json
import math
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from trtinspect.inspector.lint import (
    FULL_MEMBERS_HINT,
    ORDER_NOTE,
    REFERENCE_FIELDS,
    LintResult,
    cost_label,
    total_saving,
)
from trtinspect.inspector.rules import RULES, RULES_BY_ID, SEVERITIES
from trtinspect.parsers import schema
from trtinspect.render.escape import md_cell, md_text, printable, printable_lines
from trtinspect.render.jsonout import NotFast, Utf8Pieces, dumps_indent2_bytes, dumps_indent2_pieces, frame_records
from trtinspect.samples import PREFIX, source_name

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

LEVELS = {"info": "note", "warning": "warning", "error": "error"}  # severity -> SARIF level
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN / inf -> None, tuples -> lists, pandas/numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):   # NaN and inf as null: JSON has neither (the orjson fast path writes null)
        return value if math.isfinite(value) else None
    if isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return str(value)


def findings_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """The findings as JSON-ready dicts (NaN cost -> None)."""
    cols = list(schema.FINDINGS)
    return [_jsonable(rec) for rec in frame_records(findings, cols)]


def _str_keyed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``cost_by_layer`` keyed by ``str(layer index)``, as :func:`_jsonable` writes it (orjson refuses int
    keys); the records are fresh dicts (:func:`frame_records`), so they are updated in place."""
    for rec in records:
        by_layer = rec.get("cost_by_layer")
        if isinstance(by_layer, dict) and by_layer:
            rec["cost_by_layer"] = {str(k): v for k, v in by_layer.items()}
    return records


def _primary_file(bundle: EngineBundle) -> str | None:
    """The input file a finding points at: the layer JSON, else the profile, else the log."""
    for kind in ("layer_info", "profile", "trtexec_log"):
        files = bundle.sources.get(kind)
        if files:
            return str(files[0])
    for files in bundle.sources.values():
        if files:
            return str(files[0])
    return None


def primary_source(bundle: EngineBundle) -> str | None:
    """:func:`_primary_file` as outputs name it (``sample:NAME`` for a bundled sample, never its install path)."""
    path = _primary_file(bundle)
    return None if path is None else source_name(path)


def _json_head(findings: pd.DataFrame, bundle: EngineBundle) -> dict[str, Any]:
    return {
        "engine": bundle.name,
        "source": primary_source(bundle),
        "cost_basis": findings.attrs.get("cost_basis"),
        "cost_basis_ms": _jsonable(findings.attrs.get("cost_basis_ms")),
        "end_to_end_ms": _jsonable(findings.attrs.get("end_to_end_ms")),
        "end_to_end_source": findings.attrs.get("end_to_end_source") or None,
        "cuda_graphs": findings.attrs.get("cuda_graphs"),
        "estimated_saving_ms": _jsonable(total_saving(findings)) if len(findings) else None,
        "has_profile": findings.attrs.get("has_profile"),
        "edges": findings.attrs.get("edges"),
        "rules": findings.attrs.get("rules"),
        "profile_runs": findings.attrs.get("profile_runs"),
        "profile_note": findings.attrs.get("profile_note"),
        "per_layer_method": findings.attrs.get("per_layer_method"),
        **_absorbed_head(findings),
    }


def _absorbed_head(findings: pd.DataFrame, where: str = "evidence.absorbed") -> dict[str, Any]:
    """How ``where`` holds the findings a finding absorbed (``absorbed``: reference / full) and, for references,
    what each holds and how to get the rest (``absorbed_note``); nothing for a frame without it."""
    mode = findings.attrs.get("absorbed")
    if mode is None:
        return {}
    if mode != "reference":
        return {"absorbed": mode}
    return {"absorbed": mode, "absorbed_note": absorbed_note(where)}


def absorbed_note(where: str = "evidence.absorbed") -> str:
    """What an absorbed finding kept as a reference holds (in ``where``), and how to get the rest."""
    return (f"{where} lists each absorbed finding by reference ({', '.join(REFERENCE_FIELDS)}); the absorbing "
            f"finding's own evidence states the cause per layer; {FULL_MEMBERS_HINT}")


def to_json(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    out = to_json_bytes(findings, bundle)
    return out if isinstance(out, str) else out.decode()


def to_json_bytes(findings: pd.DataFrame, bundle: EngineBundle) -> Utf8Pieces | str:
    """:func:`to_json` as orjson writes it (UTF-8, tens of MB for a 50,000-layer engine, in pieces: see
    :class:`~trtinspect.render.jsonout.Utf8Pieces`), or the ``str`` of the exact slow path when orjson can't
    write the document."""
    head = _json_head(findings, bundle)
    try:
        return dumps_indent2_pieces({**head, "findings": _str_keyed(frame_records(findings, list(schema.FINDINGS)))})
    except NotFast:
        return json.dumps({**head, "findings": findings_records(findings)}, indent=2, ensure_ascii=False)


def _cost_text(cost: float, pct: float, kind: str | None = None) -> str:
    if cost is None or math.isnan(cost):
        return "cost: " + ("not estimated" if kind == "not estimated" else "unknown")
    share = "" if pct is None or math.isnan(pct) else f" ({pct:.1f}% of per-layer time)"
    return f"{cost:.4f} ms {cost_label(kind)}{share}"


def _bytes_clause(rec: dict[str, Any]) -> str:
    """ "; X ms of it estimated from bytes, not measured" when part of the cost is a bytes estimate (the
    int8-float-output / residual-not-quantized / int8-fallback float writes, docs/lint.md), and the layers whose
    bytes could not be estimated (a dynamic dimension); nothing when the cost itself is not estimated (the line
    would contradict itself)."""
    ev = rec.get("evidence")
    cost = rec.get("cost_ms")
    if not isinstance(ev, dict) or not isinstance(cost, (int, float)) or math.isnan(cost):
        return ""
    part = ev.get("saving_from_bytes_ms")
    out = ""
    if isinstance(part, (int, float)) and part and not math.isnan(part):
        out = f"; {part:.4f} ms of it estimated from bytes moved, not measured"
    unknown = ev.get("bytes_not_estimated")
    if isinstance(unknown, list) and unknown:
        first = unknown[0] if isinstance(unknown[0], dict) else {}
        more = f" and {len(unknown) - 1} more layer(s)" if len(unknown) > 1 else ""
        out += (f"; bytes of {first.get('layer')} not estimated (tensor {first.get('tensor')} shape "
                f"{first.get('shape')}: {first.get('why')}){more}")
    return out


def basis_line(findings: pd.DataFrame) -> str:
    """The one denominator of every %, and the end-to-end time beside it (never mixed)."""
    basis = findings.attrs.get("cost_basis", "unknown")
    basis_ms = findings.attrs.get("cost_basis_ms", math.nan)
    if not findings.attrs.get("has_profile") or basis_ms is None or math.isnan(basis_ms):
        return "no per-layer profile: costs unknown (structural findings only)"
    line = f"costs in ms per iteration of the per-layer profile; every % is of the {basis} = {basis_ms:.4f} ms"
    e2e = findings.attrs.get("end_to_end_ms", math.nan)
    if e2e is not None and not math.isnan(e2e) and e2e > 0:
        method = findings.attrs.get("per_layer_method")
        how = (f"the per-layer times are {method}, with no per-layer profiling overhead: the per-layer sum is"
               if method else "per-layer profiling adds overhead, so the per-layer sum is")
        source = findings.attrs.get("end_to_end_source")
        line += f" (end to end: {e2e:.4f} ms, {source}; {how} {basis_ms / e2e:.2f}x that)"
    if findings.attrs.get("profile_note"):
        line += f"; {findings.attrs['profile_note']}"
    return line


def summary_line(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    """ "N finding(s) (a error, b warning, c info); estimated saving X ms (each layer once)"."""
    counts = findings["severity"].value_counts().to_dict() if len(findings) else {}
    parts = ", ".join(f"{counts[s]} {s}" for s in reversed(SEVERITIES) if counts.get(s))
    line = f"{len(findings)} finding(s)" + (f" ({parts})" if parts else "")
    if not len(findings):
        return line
    saving = total_saving(findings)
    basis_ms = findings.attrs.get("cost_basis_ms", math.nan)
    if not math.isnan(saving):
        line += f"; estimated saving if all were fixed: {saving:.4f} ms per iteration (each layer counted once"
        if basis_ms and not math.isnan(basis_ms):
            line += f", {saving / basis_ms * 100:.1f}% of per-layer time"
        e2e = findings.attrs.get("end_to_end_ms", math.nan)
        if e2e is not None and not math.isnan(e2e) and basis_ms and not math.isnan(basis_ms) and basis_ms > 0:
            line += f"; about {saving * e2e / basis_ms:.4f} ms end to end, scaled by end-to-end / per-layer time"
        line += ")"
    return line


def _bracket(ms: float, kind: str | None) -> str:
    """A per-layer cost in brackets, saying what it is: a saving, or the layer's own time (an upper bound)."""
    if kind == "estimated saving":
        return f"[saves ~{ms:.4f} ms]"
    if kind == "layer time":
        return f"[layer time {ms:.4f} ms]"
    return f"[{ms:.4f} ms]"


def _rule_cost_kind(member: dict[str, Any]) -> str | None:
    """The cost kind of an absorbed finding: its own when recorded, else its rule's."""
    kind = member.get("cost_kind")
    if kind:
        return str(kind)
    rule = RULES_BY_ID.get(str(member.get("rule_id")))
    return None if rule is None else rule.cost_kind


def _per_layer_lines(rec: dict[str, Any], *, detail: bool = True, absorbed: str | None = None) -> list[str]:
    """Per-layer evidence of a grouped / root-cause finding: each layer with its charged cost, then the
    findings it replaced (``detail=False``: counted per rule, not listed). ``absorbed``: how the frame keeps
    them (lint.ABSORBED_MODES; "reference": without cause or evidence, and the lines say how to get those)."""
    names = list(rec["layer_names"])
    raw_ev = rec.get("evidence")
    ev: dict[str, Any] = raw_ev if isinstance(raw_ev, dict) else {}
    if len(names) < 2:  # one layer: only the findings it replaced (e.g. the hot layer it is)
        if not names or not ev.get("absorbed"):
            return []
        out = [f"layer: {names[0]}"]
    else:
        by_layer: dict[Any, Any] = rec.get("cost_by_layer") or {}
        out = [f"layers ({len(names)}):"]
        for li, name in zip(rec["layer_indices"], names, strict=True):
            ms = by_layer.get(li, by_layer.get(str(li)))
            out.append(f"  - {name}" + ("" if ms is None else f"  {_bracket(float(ms), rec.get('cost_kind'))}"))
    if not detail and ev.get("absorbed"):
        per_rule = Counter(str(m.get("rule_id")) for m in ev["absorbed"])
        listed = ("each listed by rule, layers, title and cost in --format json / markdown / sarif; "
                  "--absorbed full adds its cause and evidence" if absorbed == "reference"
                  else "each listed in --format json / markdown / sarif")
        out.append(
            "  replaces "
            + ", ".join(f"{n} {rule} finding(s)" for rule, n in per_rule.items())
            + f" on these layers ({listed})"
        )
    for key, label in (("members", "member"), ("absorbed", "absorbed")):
        if key == "absorbed" and not detail:
            continue
        for m in ev.get(key, []) or []:
            cost = m.get("cost_ms")
            kind = rec.get("cost_kind") if key == "members" else _rule_cost_kind(m)
            cost_txt = "" if cost is None else f" {_bracket(float(cost), kind)}"
            cause = f": {m.get('cause')}" if "cause" in m or key == "members" else ""
            out.append(f"  {label}: ({m.get('rule_id')}) {m.get('title')}{cost_txt}{cause}")
    if detail and absorbed == "reference" and ev.get("absorbed"):
        out.append(f"  absorbed findings listed by reference: {FULL_MEMBERS_HINT}")
    return out


def _prose(text: str, width: int | None, indent: str = "", label: str = "") -> list[str]:
    """A prose line (``indent`` + ``label`` + ``text``), wrapped between words at ``width`` (None: one line)
    under its label; a word longer than a line (a layer name, a path) stays whole.

    A text that fits on its line as it is (no whitespace that textwrap would replace or drop) is that line;
    other texts are wrapped once per distinct (text, width, label): findings repeat their advice."""
    first, text = indent + label, printable(text)     # a name's line break or CR is shown before wrapping
    if width is None:
        return [first + text]
    if len(first) + len(text) <= width and text and _AS_IS(text) and not text[0].isspace():
        return [first + text]
    return list(_wrapped(text, width, first))


def _AS_IS(text: str) -> bool:
    """True when textwrap keeps ``text`` unchanged on one line: only plain spaces as whitespace (it replaces
    tabs and line breaks) and none at the end (it drops that)."""
    return not text[-1].isspace() and (text.isprintable() or not any(c in _REPLACED for c in text))


_REPLACED = frozenset("\t\n\x0b\x0c\r")


@functools.lru_cache(maxsize=4096)
def _wrapped(text: str, width: int, first: str) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=" " * len(first),
                               break_long_words=False, break_on_hyphens=False) or [first])


def to_text(findings: pd.DataFrame, bundle: EngineBundle, *, top: int | None = None,
            width: int | None = None) -> str:
    """``width``: wrap prose lines (summary, title, cause, cost, try) at this many columns (None: unwrapped)."""
    lines = [f"trtinspect lint: {bundle.name}", *_prose(basis_line(findings), width)]
    lines.append(f"graph edges: {findings.attrs.get('edges', 'unknown')}")
    lines.extend(_prose(summary_line(findings, bundle), width))
    if len(findings):
        lines.extend(_prose(ORDER_NOTE, width))
    shown = findings if top is None else findings.head(top)
    for i, rec in enumerate(shown.to_dict("records"), start=1):
        lines.append("")
        head = f"{_cost_text(rec['cost_ms'], rec['cost_pct'], rec.get('cost_kind'))}{_bytes_clause(rec)}  "
        head += str(rec["confidence"])
        lines.extend(_prose(head, width, "", f"{i:>3}. [{rec['severity']}] {rec['rule_id']}  "))
        lines.extend(_prose(str(rec["title"]), width, "     "))
        lines.extend(_prose(str(rec["cause"]), width, "     ", "cause: "))
        lines.extend(_prose(str(rec.get("cost_method")), width, "     ", "cost:  "))
        lines.extend(_prose(str(rec["mitigation"]), width, "     ", "try:   "))
        # layer names ("- name") stay whole, sentences wrap
        for x in _per_layer_lines(rec, detail=False, absorbed=findings.attrs.get("absorbed")):
            body = x.lstrip()
            indent = " " * (5 + len(x) - len(body))
            lines.extend([f"     {x}"] if body.startswith("- ") else _prose(body, width, indent))
    if top is not None and len(findings) > top:
        lines.append("")
        lines.append(f"... {len(findings) - top} more (use --top 0 for all)")
    return printable_lines(lines)      # names from the inputs: one line each, no raw control characters


def _md(text: str) -> str:
    return md_cell(text)


def _md_line(text: str) -> str:
    """Text that starts a line or a list item: a leading ``#``, ``>``, ``- `` or ``1.`` of a name starts no block."""
    return md_text(text)


def to_markdown(findings: pd.DataFrame, bundle: EngineBundle, *, top: int | None = None) -> str:
    shown = findings if top is None else findings.head(top)
    out = [f"# trtinspect lint: {_md(bundle.name)}", "", _md_line(basis_line(findings)), ""]
    out += [_md_line(summary_line(findings, bundle)), ""]
    if len(findings):
        out += [_md_line(ORDER_NOTE), ""]
    out += [
        "| # | severity | rule | cost (ms) | % | cost basis | confidence | finding |",
        "|---|---|---|---|---|---|---|---|",
    ]
    records = shown.to_dict("records")
    for i, rec in enumerate(records, start=1):
        cost = "unknown" if math.isnan(rec["cost_ms"]) else f"{rec['cost_ms']:.4f}"
        pct = "" if math.isnan(rec["cost_pct"]) else f"{rec['cost_pct']:.1f}"
        basis = _md(cost_label(rec.get("cost_kind")))
        out.append(
            f"| {i} | {rec['severity']} | `{rec['rule_id']}` | {cost} | {pct} | {basis} | "
            f"{rec['confidence']} | {_md(rec['title'])} |"
        )
    out.append("")
    for i, rec in enumerate(records, start=1):
        out += [
            f"**{i}. {_md(rec['title'])}**",
            "",
            f"- cause: {_md(rec['cause'])}",
            f"- cost: {_md(_cost_text(rec['cost_ms'], rec['cost_pct'], rec.get('cost_kind')) + _bytes_clause(rec))}: "
            f"{_md(rec.get('cost_method') or '')}",
            f"- try: {_md(rec['mitigation'])} ([reference]({rec['reference']}))",
        ]
        per_layer = _per_layer_lines(rec, absorbed=findings.attrs.get("absorbed"))
        if per_layer:
            out.append(f"- {_md_line(per_layer[0])}")
            out += [f"  {_md_line(x.strip()) if not x.startswith('  - ') else '- ' + _md_line(x[4:])}"
                    for x in per_layer[1:]]
        out.append("")
    return "\n".join(out)


SRCROOT = "%SRCROOT%"  # SARIF uriBaseId of relative artifact URIs: the directory trtinspect ran in


def sarif_location(path: str | Path, root: Path | None = None) -> dict[str, Any]:
    """A SARIF ``artifactLocation``: relative URI with ``uriBaseId`` %SRCROOT% when ``path`` lies under
    ``root`` (default: the current directory), ``sample:NAME`` for a bundled sample's file elsewhere, else an
    absolute ``file://`` URI."""
    root = (root or Path.cwd()).resolve()
    p = Path(path)
    absolute = (p if p.is_absolute() else root / p).resolve()
    if absolute.is_relative_to(root) and absolute != root:
        return {"uri": quote(absolute.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    name = source_name(absolute)
    if name.startswith(PREFIX):  # a bundled sample: where it was installed (site-packages) says nothing
        return {"uri": quote(name, safe=":/")}
    return {"uri": absolute.as_uri()}


def _log_file(bundle: EngineBundle) -> Path | None:
    """The one trtexec log the bundle read, if exactly one (log line numbers refer to it)."""
    logs = [Path(p) for p in bundle.sources.get("trtexec_log", [])]
    return logs[0] if len(dict.fromkeys(logs)) == 1 else None


def _sentence(text: str) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _sarif_message(rec: dict[str, Any]) -> str:
    """Title, cause and cost, each said once (the cause may already say the cost is unknown)."""
    cost, pct, cause = rec["cost_ms"], rec["cost_pct"], str(rec["cause"])
    if cost is not None:
        cost_text = (
            f"Cost: {cost:.4f} ms per iteration ({cost_label(rec.get('cost_kind'))}"
            + (f", {pct:.1f}% of per-layer time" if pct is not None else "")
            + f"; {rec.get('cost_method')})."
        )
    else:
        cost_text = "" if "cost unknown" in cause.lower() else "Cost unknown."
    parts = [_sentence(rec["title"]), _sentence(f"Cause: {cause}"), cost_text]
    return " ".join(p for p in parts if p)


def _sarif_rules() -> list[dict[str, Any]]:
    """The rule table as SARIF ``tool.driver.rules``."""
    return [
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


def to_sarif(findings: pd.DataFrame, bundle: EngineBundle) -> str:
    """SARIF 2.1.0: one run, the rule table as ``tool.driver.rules``, one result per finding located at the
    input file (the layer JSON, else the profile or log; the log, with ``region.startLine``, for findings
    taken from a log line) with the layers as logical locations.

    Artifact URIs are relative to the current directory (``uriBaseId`` %SRCROOT%, declared in
    ``originalUriBaseIds``) for files under it, as code-scanning uploads expect; other files get
    absolute ``file://`` URIs."""
    out = to_sarif_bytes(findings, bundle)
    return out if isinstance(out, str) else out.decode()


def to_sarif_bytes(findings: pd.DataFrame, bundle: EngineBundle) -> Utf8Pieces | bytes | str:
    """:func:`to_sarif` as UTF-8 (tens of MB for a 50,000-layer engine, in pieces as :func:`to_json_bytes`),
    or the ``str`` of the exact slow path.

    The fast path hands orjson the findings as :func:`frame_records` gives them (as lint JSON does) instead of
    converting every nested value with :func:`_jsonable` twice; only the few values the messages are written
    from are converted."""
    try:
        return dumps_indent2_pieces(_sarif_doc(findings, bundle, _str_keyed(frame_records(findings,
                                                                                         list(schema.FINDINGS)))))
    except NotFast:
        pass
    doc = _jsonable(_sarif_doc(findings, bundle, findings_records(findings)))
    try:  # the same text as json.dumps below, written by orjson
        return dumps_indent2_bytes(doc)
    except NotFast:
        return json.dumps(doc, indent=2, ensure_ascii=False)


_MESSAGE_FIELDS = ("title", "cause", "cost_ms", "cost_pct", "cost_kind", "cost_method")
_SARIF_PROPERTIES = ("finding_id", "cost_ms", "cost_pct", "cost_kind", "cost_method", "cost_by_layer", "confidence",
                     "layer_indices", "layer_names", "evidence", "mitigation")


def _sarif_result(rec: dict[str, Any], rule_ids: list[str], source_loc: dict[str, Any], log: Path | None,
                  root: Path, reference: bool = False) -> dict[str, Any]:
    """One finding as a SARIF result (``rec``: a findings record, its values converted or not). The findings it
    absorbed are its ``relatedLocations``; ``reference`` (lint's default, references only): there alone, not
    repeated in ``properties.evidence``."""
    evidence = rec["evidence"]
    line_no = _jsonable(evidence.get("line_no")) if isinstance(evidence, dict) else None
    physical: dict[str, Any] = {"artifactLocation": source_loc}
    if log is not None and isinstance(line_no, int) and line_no >= 1:
        physical = {"artifactLocation": sarif_location(log, root), "region": {"startLine": line_no}}
    absorbed = evidence.get("absorbed") if isinstance(evidence, dict) else None
    properties = {k: rec[k] for k in _SARIF_PROPERTIES}
    if absorbed and reference:  # the references are the related locations: not repeated in the properties
        properties["evidence"] = {k: v for k, v in evidence.items() if k != "absorbed"}
    result = {
        "ruleId": rec["rule_id"],
        "ruleIndex": rule_ids.index(rec["rule_id"]),
        "level": LEVELS[rec["severity"]],
        "message": {"text": _sarif_message({k: _jsonable(rec[k]) for k in _MESSAGE_FIELDS})},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [{"name": n, "kind": "member"} for n in rec["layer_names"]],
            }
        ],
        "partialFingerprints": {"trtinspectFindingId/v1": rec["finding_id"]},
        "properties": properties,
    }
    if absorbed:
        result["relatedLocations"] = _related_locations(absorbed)
    return result


def _related_locations(absorbed: list[Any]) -> list[dict[str, Any]]:
    """The findings a finding absorbed, as SARIF ``relatedLocations``: each one's layers as logical locations,
    its rule, title and cost in the message, its rule id and cost in the location's properties."""
    out = []
    for i, m in enumerate(absorbed):
        if not isinstance(m, dict):
            continue
        cost = _jsonable(m.get("cost_ms"))
        text = f"Absorbed {m.get('rule_id')} finding: {_sentence(str(m.get('title')))}"
        if isinstance(cost, (int, float)):
            text += f" Cost: {cost:.4f} ms per iteration ({cost_label(_rule_cost_kind(m))})."
        out.append({"id": i, "message": {"text": text},
                    "logicalLocations": [{"name": n, "kind": "member"} for n in m.get("layers") or []],
                    "properties": {"ruleId": m.get("rule_id"), "cost_ms": cost}})
    return out


def _sarif_doc(findings: pd.DataFrame, bundle: EngineBundle, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The SARIF document of :func:`to_sarif` around the findings ``records``."""
    from trtinspect.version import __version__

    root = Path.cwd().resolve()
    source = _primary_file(bundle)
    source_loc = sarif_location(source, root) if source else {"uri": quote(bundle.name)}
    log = _log_file(bundle)
    rule_ids = [r.id for r in RULES]
    driver_rules = _sarif_rules()
    reference = findings.attrs.get("absorbed") == "reference"
    results = [_sarif_result(rec, rule_ids, source_loc, log, root, reference) for rec in records]
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
        "properties": {"engine": bundle.name, "cost_basis": findings.attrs.get("cost_basis"),
                       **_absorbed_head(findings, "each result's relatedLocations")},
    }
    if any(a["location"].get("uriBaseId") == SRCROOT for a in artifacts):
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _text(result: LintResult, *, top: int | None = None, width: int | None = None) -> str:
    return to_text(result.findings, result.bundle, top=top, width=width)


def _markdown(result: LintResult, *, top: int | None = None) -> str:
    return to_markdown(result.findings, result.bundle, top=top)


# the renderer contract (trtinspect.render): format -> fn(LintResult, **options) -> str; json and SARIF always
# hold every finding (top only shortens what people read)
FORMATS: dict[str, Callable[..., str]] = {
    "text": _text,
    "json": lambda result: to_json(result.findings, result.bundle),
    "markdown": _markdown,
    "sarif": lambda result: to_sarif(result.findings, result.bundle),
}
# the same JSON as UTF-8 (in pieces), for commands that write it out (trtinspect.render.render_output)
BYTES_FORMATS: dict[str, Callable[..., Utf8Pieces | bytes | str]] = {
    "json": lambda result: to_json_bytes(result.findings, result.bundle),
    "sarif": lambda result: to_sarif_bytes(result.findings, result.bundle),
}
