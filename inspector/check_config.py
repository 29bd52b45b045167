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
from trtinspect.inspector.check_limits import KINDS, problem
from trtinspect.parsers._io import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)

# config key -> (Thresholds field, kind of value). The kinds and their rules are declared once, in check_limits
# (Thresholds holds every object to them); docs/check.md lists the keys.
THRESHOLD_KEYS: dict[str, tuple[str, str]] = {key: (key, kind) for key, kind in KINDS.items()}
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
    # every config file read on the way (--config FILE; else each of CONFIG_FILES found in the working directory
    # up to the one with a check table): never an output of the command
    read: list[Path] = field(default_factory=list)


def parse_fraction(value: Any, *, name: str, where: str = "", kind: str = "fraction") -> float:
    """``"5%"`` -> 0.05, ``0.05`` -> 0.05. A bare number above 1 is refused (write ``5%``); the value must meet
    the rule of its ``kind`` (``check_limits``: finite, not negative; a share at most 100%, alpha in (0, 1))."""
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
    if math.isfinite(number) and not text.endswith("%") and number > 1:
        raise TrtInspectError(
            f"{name} = {text}{where_txt} is ambiguous", hint=f"write {text}% or {number / 100:g}"
        )
    _meets(kind, number, name=name, value=value, where=where)
    return number


def _meets(kind: str, number: float | bool, *, name: str, value: Any, where: str) -> None:
    """Refuse ``number`` (parsed from ``value``) that breaks its kind's rule, naming where it came from."""
    bad = problem(kind, number)
    if bad is not None:
        where_txt = f" in {where}" if where else ""
        raise TrtInspectError(f"{name} {bad[0]}, got '{value}'{where_txt}", hint=bad[1])


def _parse_number(value: Any, *, name: str, kind: str, where: str) -> float | int | bool:
    if kind == "bool":
        _meets(kind, value, name=name, value=value, where=where)
        return bool(value)
    if kind in ("fraction", "share", "alpha"):
        return parse_fraction(value, name=name, where=where, kind=kind)
    try:
        number = float(str(value).strip().removesuffix("ms").strip())
    except ValueError:
        raise TrtInspectError(f"{name} must be a number, got '{value}' in {where}") from None
    _meets(kind, number, name=name, value=value, where=where)
    return int(number) if kind == "runs" else number


def searched_config_files(cwd: str | Path | None = None) -> list[Path]:
    """Every config file ``check`` looks for without ``--config`` (each of :data:`CONFIG_FILES` in the working
    directory), whether it exists or not: never an output of ``check``, whichever config this run opened (an output
    written there would be read, or refused, as the next run's settings)."""
    folder = Path(cwd) if cwd is not None else Path.cwd()
    return [folder / name for name in CONFIG_FILES]


def find_config(cwd: Path, read: list[Path] | None = None) -> tuple[dict[str, Any], Path | None]:
    """The ``check`` table of the first config file in ``cwd`` that has one. A file found here is held to the
    same rules as ``--config`` (:func:`_refuse_stray_keys`): a key outside the check table is refused, never
    ignored. Each file opened is appended to ``read``."""
    for name in CONFIG_FILES:
        path = cwd / name
        if path.is_file():
            if read is not None:
                read.append(path)
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
    read: list[Path] = []
    if config_file is not None:
        path: Path | None = Path(config_file)
        assert path is not None
        read.append(path)
        table = _check_table(read_toml(path), path, required=True) or {}
    else:
        table, path = find_config(Path(cwd) if cwd is not None else Path.cwd(), read)
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
    return CheckConfig(thresholds, active, expired, sorted(dict.fromkeys(allow)), path, read)
