"""`check` and `history` text tables fit the terminal (COLUMNS=80 and 120): new-user trial, their rows reached
130+ columns on a 120-column terminal. Numbers stay whole; a long group or engine name wraps under its column,
or under the row on a narrow terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DATA, RESNET, run_cli

import trtinspect
from trtinspect.inspector import history
from trtinspect.inspector.check import run_check
from trtinspect.textfmt import fit_row

RTX3090 = DATA / "external" / "trex-rtx3090-resnet50"
PAIRS = [(RESNET / "fp16", RESNET / "fp32"), (RESNET / "qat", RESNET / "qat-residual"),
         (RTX3090 / "fp16", RTX3090 / "qat")]      # the last: group names of 60 characters
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")


def test_fit_row() -> None:
    assert fit_row("a  1.0  ", "short", 80) == ["a  1.0  short"]
    # 20 columns left: the name wraps after a space or a separator, under its own column
    assert fit_row("x" * 60, "conv1/Conv + conv2/Conv + relu/Relu", 80) == [
        "x" * 60 + "conv1/Conv + conv2/", " " * 60 + "Conv + relu/Relu"]
    assert fit_row("x" * 93, "at::native::vectorized_elementwise_kernel", 120) == [
        "x" * 93 + "at::native::vectorized_", " " * 93 + "elementwise_kernel"]
    # a word longer than the room is cut where it must be
    assert fit_row("x" * 60, "y" * 30, 80) == ["x" * 60 + "y" * 20, " " * 60 + "y" * 10]
    narrow = fit_row("x" * 70, "a_very_long_layer_name_without_spaces", 80)   # 10 columns left: own lines
    assert narrow == ["x" * 70, "  a_very_long_layer_name_without_spaces"]


def _table_lines(out: str) -> tuple[list[str], list[str]]:
    """(the group table's lines, its numeric rows' first lines) of check's text."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("status "))
    end = next(i for i in range(start, len(lines)) if "group(s) within thresholds" in lines[i])
    table = lines[start:end]
    return table, [line for line in table if line.split(" ")[0] in {"regression", "improvement", "traded", "added",
                                                                      "removed", "ignored"}]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize(("base", "cand"), PAIRS, ids=["fp16-fp32", "qat-residual", "rtx3090-fp16-qat"])
def test_check_table_fits(base: Path, cand: Path, columns: int, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    _, out, _ = run_cli(["check", "--baseline", str(base), "--candidate", str(cand)], capsys)
    table, rows = _table_lines(out)
    assert rows and max(len(line) for line in table) <= columns
    # the numbers are the ones of the unwrapped table (a file at 1000 columns), whole
    monkeypatch.setenv("COLUMNS", "1000")
    _, wide, _ = run_cli(["check", "--baseline", str(base), "--candidate", str(cand)], capsys)
    _, wide_rows = _table_lines(wide)
    assert [NUMBER.findall(r[:70]) for r in rows] == [NUMBER.findall(r[:70]) for r in wide_rows]
    # and every group name is still there, whole once the wrapped pieces are joined
    names = [r[70:] for r in wide_rows]
    joined = re.sub(r"\s+", "", "".join(table))
    assert all(re.sub(r"\s+", "", n) in joined for n in names)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, qat_rerun: Path) -> str:
    """A history store with a long engine name (a CI path), written by `check --record`'s store code."""
    qat, res = trtinspect.load(RESNET / "qat"), trtinspect.load(RESNET / "qat-residual")
    rerun = trtinspect.load(qat_rerun)   # a GENERATED second run of qat (conftest)
    res.name = "ci/builds/2026-12-06/very-long-branch-name/resnet18-qat-residual-int8-best.engine"
    url = history.as_url(tmp_path_factory.mktemp("h") / "h.sqlite")
    history.record(run_check([qat], [rerun]), [qat], [rerun], url)
    history.record(run_check([qat], [res]), [qat], [res], url)
    return url


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("extra", [[], ["--layer", "QuantizeLinear_2"]], ids=["checks", "layer-trend"])
def test_history_table_fits(store: str, extra: list[str], columns: int, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, err = run_cli(["history", "--db", store, *extra], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    joined = re.sub(r"\s+", "", out)
    assert "ci/builds/2026-12-06/very-long-branch-name/resnet18-qat-residual-int8-best.engine" in joined
    assert re.search(r"2026-\d\d-\d\d \d\d:\d\d:\d\d", out)   # the time column whole
    if not extra:
        assert re.search(r"[+-]\d+\.\d\d%", out)                 # the e2e delta whole


def test_history_wide_terminal_is_one_line_per_check(store: str, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    _, out, _ = run_cli(["history", "--db", store], capsys)
    assert len(out.splitlines()) == 3        # header and two checks, as before
    assert out.splitlines()[0].startswith(" check  when (UTC)           verdict")
