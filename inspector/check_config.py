"""Thresholds and overrides of ``trtinspect check``: command-line flags > config file > defaults.

Config is read from ``--config FILE``, else ``trtinspect.toml`` in the working directory (table ``[check]`` or
``[tool.trtinspect.check]``), else the ``[tool.trtinspect.check]`` table of ``pyproject.toml``::

    [tool.trtinspect.check]
    threshold = "5%"            # end-to-end; "5%" or 0.05
    group_threshold = "10%"
    floor_ms = 0.01
    min_share = "1%"
    alpha = 0.05
    allow_different = ["clocks"]

    [[tool.trtinspect.check.overrides]]
    match = "Conv_0 + Relu_1"   # shell pattern on the group label or any layer name
    group_threshold = "25%"     # and/or floor_ms = 0.05, or ignore = true
    expires = 2026-03-31        # required; expired overrides are ignored with a warning
    reason = "tactic choice flaky on A100, see #123"
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check import ALLOWED_FIELDS, COMPARABILITY, Override, Thresholds
from trtinspect.parsers._io import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

# config key -> (Thresholds field, kind). Declared once; docs/check.md lists them.
THRESHOLD_KEYS: dict[str, tuple[str, str]] = {
    "threshold": ("threshold", "fraction"),
    "group_threshold": ("group_threshold", "fraction"),
    "floor_ms": ("floor_ms", "ms"),
    "floor_share": ("floor_share", "fraction"),
    "min_share": ("min_share", "fraction"),
    "alpha": ("alpha", "fraction"),
    "spread_factor": ("spread_factor", "number"),
    "min_runs": ("min_runs", "int"),
    "strict_groups": ("strict_groups", "bool"),
}
OVERRIDE_KEYS = {"match", "expires", "group_threshold", "threshold", "floor_ms", "ignore", "reason"}
CONFIG_FILES = ("trtinspect.toml", "pyproject.toml")


@dataclass
class CheckConfig:
    """The resolved settings of one check."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    overrides: list[Override] = field(default_factory=list)  # active (not expired)
    expired: list[Override] = field(default_factory=list)
    allow_different: list[str] = field(default_factory=list)
    source: Path | None = None


def parse_fraction(value: Any, *, name: str, where: str = "") -> float:
    """``"5%"`` -> 0.05, ``0.05`` -> 0.05. A bare number above 1 is refused (write ``5%``)."""
    where_txt = f" in {where}" if where else ""
    if isinstance(value, bool):
        raise TrtInspectError(
            f"{name} must be a percentage like 5% or a fraction like 0.05{where_txt}, got {value}"
        )
    text = str(value).strip()
    try:
        number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise TrtInspectError(
            f"{name} must be a percentage like 5% or a fraction like 0.05{where_txt}, got '{value}'"
        ) from None
    if not math.isfinite(number):       # NaN compares false with every threshold and is no JSON number
        raise TrtInspectError(f"{name} must be a finite number{where_txt}, got '{value}'")
    if not text.endswith("%") and number > 1:
        raise TrtInspectError(
            f"{name} = {text}{where_txt} is ambiguous", hint=f"write {text}% or {number / 100:g}"
        )
    if number < 0:
        raise TrtInspectError(f"{name} must not be negative{where_txt}, got '{value}'")
    return number


def _parse_number(value: Any, *, name: str, kind: str, where: str) -> float | int | bool:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise TrtInspectError(f"{name} must be true or false, got '{value}' in {where}")
    if kind == "fraction":
        return parse_fraction(value, name=name, where=where)
    try:
        number = float(str(value).strip().removesuffix("ms").strip())
    except ValueError:
        raise TrtInspectError(f"{name} must be a number, got '{value}' in {where}") from None
    if not math.isfinite(number):
        raise TrtInspectError(f"{name} must be a finite number, got '{value}' in {where}")
    if number < 0:
        raise TrtInspectError(f"{name} must not be negative, got '{value}' in {where}")
    if kind == "int":
        return _parse_runs(value, number, name=name, where=where)
    return number


def _parse_runs(value: Any, number: float, *, name: str, where: str) -> int:
    """``min_runs``: a whole number of runs a side, at least 2 (a one-sided test of one median per run has no
    spread with one run; 0 or 1 let a single run 'pass' the test it never had, 2.5 was cut to 2)."""
    if not number.is_integer():
        raise TrtInspectError(f"{name} must be a whole number of runs a side, got '{value}' in {where}",
                              hint="use e.g. min_runs = 3")
    if number < 2:
        raise TrtInspectError(
            f"{name} must be at least 2 (a significance test needs a spread of runs on each side), "
            f"got '{value}' in {where}", hint="use e.g. min_runs = 3 (the default)")
    return int(number)


def find_config(cwd: Path) -> tuple[dict[str, Any], Path | None]:
    """The ``check`` table of the first config file in ``cwd`` that has one. A file found here is held to the
    same rules as ``--config`` (:func:`_refuse_stray_keys`): a key outside the check table is refused, never
    ignored."""
    for name in CONFIG_FILES:
        path = cwd / name
        if path.is_file():
            table = _check_table(read_toml(path), path, required=False)
            if table is not None:
                return table, path
    return {}, None


def _refuse_stray_keys(doc: dict[str, Any], path: Path) -> None:
    """Keys trtinspect would not read: in ``pyproject.toml`` any ``[tool.trtinspect.*]`` table but ``check``; in
    any other config file (``trtinspect.toml``, ``--config FILE``) anything outside ``[check]`` and
    ``[tool.trtinspect.check]`` (``threshold = "90%"`` at the top level, ``[chekc]``). A misspelled table would
    otherwise be read as no config and the defaults would gate CI without a word."""
    tool = doc.get("tool")
    ours = tool.get("trtinspect") if isinstance(tool, dict) else None
    stray = [f"tool.trtinspect.{k}" for k in ours if k != "check"] if isinstance(ours, dict) else []
    if path.name != "pyproject.toml":
        stray = [k for k in doc if k not in ("check", "tool")] + stray
        if "tool" in doc and not isinstance(tool, dict):
            stray.append("tool")
        stray += [f"tool.{k}" for k in tool if k != "trtinspect"] if isinstance(tool, dict) else []
    if stray:
        where = "[tool.trtinspect.check]" if path.name == "pyproject.toml" else "[check]"
        raise TrtInspectError(
            f"key(s) outside the check table: {', '.join(stray)} (trtinspect reads only {where})",
            path=path, hint=f"move the settings under {where} and fix misspelled table names (docs/check.md)")


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML document of ``path``. An empty (or blank) file is an empty document (valid TOML: no settings),
    not a damaged export: an empty ``pyproject.toml`` or ``trtinspect.toml`` found in the working directory is no
    config, and an empty ``--config FILE`` is refused for its missing check table, as any file without one."""
    text = read_text(path, what="a TOML config file", empty_ok=True)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrtInspectError(f"not valid TOML ({exc})", path=path, hint="fix the file's syntax") from None


def _check_table(doc: dict[str, Any], path: Path, *, required: bool) -> dict[str, Any] | None:
    _refuse_stray_keys(doc, path)
    tool = doc.get("tool")
    ours = tool.get("trtinspect") if isinstance(tool, dict) else None
    table = ours.get("check") if isinstance(ours, dict) else None
    if table is None and path.name != "pyproject.toml":
        table = doc.get("check")
    if table is None:
        if required:
            raise TrtInspectError(
                "no [tool.trtinspect.check] (or [check]) table",
                path=path,
                hint="see docs/check.md for the format",
            )
        return None
    if not isinstance(table, dict):
        raise TrtInspectError("the check table must be a TOML table", path=path)
    return table


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TrtInspectError(f"expires must be a date like 2026-03-31 in {where}, got '{value}'") from None


def parse_overrides(raw: Any, where: str) -> list[Override]:
    if not isinstance(raw, list):
        raise TrtInspectError(f"overrides must be an array of tables ([[...overrides]]) in {where}")
    out: list[Override] = []
    for i, item in enumerate(raw):
        w = f"{where} override #{i + 1}"
        if not isinstance(item, dict):
            raise TrtInspectError(f"{w} must be a table")
        unknown = sorted(set(item) - OVERRIDE_KEYS)
        if unknown:
            raise TrtInspectError(
                f"unknown key(s) {', '.join(unknown)} in {w}",
                hint=f"allowed: {', '.join(sorted(OVERRIDE_KEYS))}",
            )
        if "match" not in item or "expires" not in item:
            raise TrtInspectError(
                f"{w} needs 'match' and 'expires'", hint="overrides are temporary: give each an expiry date"
            )
        thr = item.get("group_threshold", item.get("threshold"))
        out.append(
            Override(
                match=str(item["match"]),
                expires=_parse_date(item["expires"], w),
                group_threshold=None if thr is None else parse_fraction(thr, name="group_threshold", where=w),
                floor_ms=None
                if item.get("floor_ms") is None
                else float(_parse_number(item["floor_ms"], name="floor_ms", kind="ms", where=w)),
                ignore=bool(item.get("ignore", False)),
                reason=str(item.get("reason", "")),
            )
        )
    return out


def _check_ranges(values: dict[str, Any], where: dict[str, str]) -> None:
    """Values that parse but mean nothing: a significance level outside (0, 1), a share above 100%."""
    alpha = values.get("alpha")
    if alpha is not None and not 0 < alpha < 1:
        raise TrtInspectError(f"alpha must be between 0 and 1 (exclusive), got {alpha:g} in {where['alpha']}",
                              hint="use e.g. --alpha 0.05")
    for key in ("floor_share", "min_share"):
        share = values.get(key)
        if share is not None and share > 1:
            raise TrtInspectError(f"{key} must be at most 100%, got {share:.4g} in {where[key]}")


def _allow_list(raw: Any, where: str) -> list[str]:
    """``allow_different`` of the config: a list of field names, or one name as a string (``"gpu"`` is the
    field gpu, not the letters g, p, u)."""
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise TrtInspectError(f"allow_different must be a list of field names like [\"gpu\"] in {where}, got '{raw}'")
    return list(raw)


def resolve(
    flags: dict[str, Any] | None = None,
    *,
    config_file: str | Path | None = None,
    cwd: str | Path | None = None,
    today: date | None = None,
) -> CheckConfig:
    """Merge flags (None = not given) over the config file over defaults; split off expired overrides."""
    flags = {k: v for k, v in (flags or {}).items() if v not in (None, (), [])}
    today = today or date.today()
    if config_file is not None:
        path: Path | None = Path(config_file)
        assert path is not None
        table = _check_table(read_toml(path), path, required=True) or {}
    else:
        table, path = find_config(Path(cwd) if cwd is not None else Path.cwd())
    where = str(path) if path else "flags"
    allowed = set(THRESHOLD_KEYS) | {"overrides", "allow_different"}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise TrtInspectError(
            f"unknown key(s) {', '.join(unknown)} in the check table",
            path=path,
            hint=f"allowed: {', '.join(sorted(allowed))}",
        )
    values: dict[str, Any] = {}
    for key, (attr, kind) in THRESHOLD_KEYS.items():
        if key in flags:
            values[attr] = _parse_number(
                flags[key], name="--" + key.replace("_", "-"), kind=kind, where="flags"
            )
        elif key in table:
            values[attr] = _parse_number(table[key], name=key, kind=kind, where=where)
    _check_ranges(values, {k: "flags" if k in flags else where for k in values})
    known = {f.name for f in fields(Thresholds)}
    thresholds = replace(Thresholds(), **{k: v for k, v in values.items() if k in known})
    allow = list(flags.get("allow_different", [])) + _allow_list(table.get("allow_different", []), where)
    bad = sorted(set(allow) - set(ALLOWED_FIELDS))
    if bad:
        raise TrtInspectError(
            f"unknown allow-different field(s) {', '.join(bad)}",
            hint=f"choose from {', '.join(COMPARABILITY)}",
        )
    overrides = parse_overrides(table.get("overrides", []), where)
    active = [o for o in overrides if o.expires >= today]
    expired = [o for o in overrides if o.expires < today]
    for o in expired:
        log.warning(
            "override '%s' expired on %s and is ignored (%s): renew or remove it in %s",
            o.match,
            o.expires.isoformat(),
            o.reason or "no reason given",
            where,
        )
    return CheckConfig(thresholds, active, expired, sorted(dict.fromkeys(allow)), path)
