"""`trtinspect history STORE --check` names EVERY damaged row of a store (its id and what is wrong), then exits 2.

It named the first and said "(and 2 more)". The store is written by `check --record` on the real A100 bundles
(three checks), then three rows - one of each table - are damaged by hand, as an edit or a broken copy would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import RESNET, edited_export, recorded_checks, run_cli

QAT, RES = str(RESNET / "qat"), str(RESNET / "qat-residual")


@pytest.fixture(scope="module")
def three_checks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return recorded_checks(tmp_path_factory.mktemp("hist3") / "h.sqlite", 3, QAT, RES)


def test_every_damaged_row_is_named(three_checks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = sqlite3.connect(three_checks)
    group_row = con.execute("SELECT min(id) FROM group_measurements WHERE run_id = 2").fetchone()[0]
    layer_row = con.execute("SELECT max(id) FROM layer_measurements WHERE run_id = 3").fetchone()[0]
    con.close()
    store = edited_export(three_checks, tmp_path / "bad.sqlite", f"""
        UPDATE runs SET created_at = 'yesterday' WHERE id = 1;
        UPDATE group_measurements SET base_ms = -2.5 WHERE id = {group_row};
        UPDATE layer_measurements SET avg_ms = 9e999 WHERE id = {layer_row};""")
    code, out, err = run_cli(["history", str(store), "--check"], capsys)
    assert code == 2
    assert out.splitlines() == [
        f"{store}: not sound: 3 problem(s)",
        "  damaged row: check #1: created_at is 'yesterday', not a date and time",
        f"  damaged row: group_measurements row #{group_row} (check #2): base_ms is -2.5, not a time in ms (0 to "
        "1e+09)",
        f"  damaged row: layer_measurements row #{layer_row} (check #3): avg_ms is inf, not a time in ms (0 to "
        "1e+09)",
    ]
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"trtinspect: error: {store}: the history store is not sound: damaged row: check #1: "
                          "created_at is 'yesterday', not a date and time (and 2 more, each listed above). ")
    assert "delete checks #1, #2, #3 (DELETE FROM runs WHERE id IN (1, 2, 3), and their" in err
    # the sound copy still passes
    code, out, _ = run_cli(["history", str(three_checks), "--check"], capsys)
    assert code == 0 and out.startswith(f"{three_checks}: sound; schema version 2; 3 checks, ")


def test_more_damaged_rows_than_a_reader_shows(three_checks: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """25 damaged layer rows of one check: --check lists all 25 (it stopped at 20 before, and named one), and
    the hint names the one check to delete."""
    store = edited_export(three_checks, tmp_path / "many.sqlite", """
        UPDATE layer_measurements SET avg_ms = -1 WHERE id IN
            (SELECT id FROM layer_measurements WHERE run_id = 2 ORDER BY id LIMIT 25);""")
    code, out, err = run_cli(["history", str(store), "--check"], capsys)
    assert code == 2
    rows = [ln for ln in out.splitlines() if ln.startswith("  damaged row: layer_measurements row #")]
    assert len(rows) == 25 and all("(check #2): avg_ms is -1.0" in r for r in rows)
    assert out.splitlines()[0] == f"{store}: not sound: 25 problem(s)"
    assert "(and 24 more, each listed above)" in err and "delete check #2 (DELETE FROM runs WHERE id = 2," in err
