"""Thresholds from flags, trtinspect.toml and pyproject.toml; overrides with expiry dates."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest

from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check_config import parse_fraction, resolve

PYPROJECT = """
[project]
name = "x"

[tool.trtinspect.check]
threshold = "3%"
group_threshold = 0.2
floor_ms = 0.02
allow_different = ["clocks"]

[[tool.trtinspect.check.overrides]]
match = "Conv_0*"
group_threshold = "30%"
expires = 2026-06-30
reason = "tactic flaky"

[[tool.trtinspect.check.overrides]]
match = "MaxPool_2"
ignore = true
expires = 2025-01-01
reason = "old"
"""


def test_parse_fraction() -> None:
    assert parse_fraction("5%", name="t") == pytest.approx(0.05)
    assert parse_fraction("0.05", name="t") == pytest.approx(0.05)
    assert parse_fraction(0.1, name="t") == pytest.approx(0.1)
    with pytest.raises(TrtInspectError, match="ambiguous"):
        parse_fraction("5", name="--threshold")
    with pytest.raises(TrtInspectError, match="percentage"):
        parse_fraction("five", name="--threshold")


def test_pyproject_table_flags_win_and_expired_overrides_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    with caplog.at_level(logging.WARNING):
        cfg = resolve({"threshold": None, "floor_ms": "0.05"}, cwd=tmp_path, today=date(2026, 1, 15))
    assert cfg.source == tmp_path / "pyproject.toml"
    assert cfg.thresholds.threshold == pytest.approx(0.03)  # from the file
    assert cfg.thresholds.group_threshold == pytest.approx(0.2)
    assert cfg.thresholds.floor_ms == pytest.approx(0.05)  # the flag wins
    assert cfg.thresholds.min_share == pytest.approx(0.01)  # default
    assert cfg.allow_different == ["clocks"]
    assert [o.match for o in cfg.overrides] == ["Conv_0*"]
    assert cfg.overrides[0].group_threshold == pytest.approx(0.3)
    assert [o.match for o in cfg.expired] == ["MaxPool_2"]
    assert "MaxPool_2" in caplog.text and "expired" in caplog.text
    # after its own expiry date the first override is ignored too
    later = resolve(cwd=tmp_path, today=date(2026, 7, 1))
    assert later.overrides == [] and len(later.expired) == 2


def test_trtinspect_toml_first_and_explicit_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "trtinspect.toml").write_text('[check]\nthreshold = "7%"\n')
    assert resolve(cwd=tmp_path).thresholds.threshold == pytest.approx(0.07)
    other = tmp_path / "ci.toml"
    other.write_text('[tool.trtinspect.check]\nmin_share = "2%"\n')
    assert resolve(config_file=other, cwd=tmp_path).thresholds.min_share == pytest.approx(0.02)
    assert resolve(cwd=tmp_path / "nowhere").source is None


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[check]\nthreshhold = 0.05\n", "unknown key"),
        ("[check]\n[[check.overrides]]\nmatch = 'x'\n", "expires"),
        ("[check]\n[[check.overrides]]\nmatch = 'x'\nexpires = 'soon'\n", "date"),
        ("[check]\nallow_different = ['colour']\n", "allow-different"),
        ("[check\nthreshold = 1\n", "not valid TOML"),
        ("[other]\nx = 1\n", "key\\(s\\) outside the check table: other"),
        ("# no table\n", "no \\[tool.trtinspect.check\\]"),
    ],
)
def test_bad_config(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "trtinspect.toml"
    path.write_text(text)
    with pytest.raises(TrtInspectError, match=match):
        resolve(config_file=path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(TrtInspectError, match="no such file"):
        resolve(config_file=tmp_path / "absent.toml")
