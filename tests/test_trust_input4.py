"""Fourth input-trust trial: options silently ignored, config files overwritten, damaged --dumpProfile titles."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA, LOGS, RESNET, run_cli


def one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "", (code, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "internal error" not in err, err
    return err


# ---- 3. a negative or non-integer --dumpProfile title count is refused as 0 is ------------------------------------
@pytest.mark.parametrize("n", ["-1", "1e3", "12.5", "+5", "x"])
def test_dumpprofile_title_not_a_whole_count_is_refused(n: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`=== Profile (-1 iterations ) ===` (or 1e3) left the table untitled: report said 'the iteration count was
    not printed ... about 18357 iterations' and exited 0."""
    src = LOGS / "trt10.16-h100" / "result-05.log"
    text = src.read_text(encoding="utf-8")
    assert "(18362 iterations )" in text
    log = tmp_path / "p.log"
    log.write_text(text.replace("(18362 iterations )", f"({n} iterations )", 1), encoding="utf-8")
    err = one_line_error(*run_cli(["report", str(log)], capsys))
    assert (f"p.log: --dumpProfile table: its title says {n} iterations, not a number of profiled iterations "
            "(a whole number of at least 1)") in err


# ---- 1. --no-strict-groups overrides a config file's strict_groups = true ----------------------------------------
@pytest.mark.parametrize("flags, code", [([], 1), (["--no-strict-groups"], 0), (["--strict-groups"], 1)])
def test_no_strict_groups_overrides_the_config(flags: list[str], code: int, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """check had no --no-strict-groups, so a config's strict_groups = true could not be turned off for one run (the
    action's strict-groups=false was silently ignored)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trtinspect.toml").write_text("[check]\nstrict_groups = true\n", encoding="utf-8")
    code_, out, err = run_cli(["check", "--baseline", str(RESNET / "qat"), "--candidate",
                               str(RESNET / "qat-residual"), *flags], capsys)
    assert code_ == code, out + err
    assert ("traded" in out) is (code == 0)


# ---- 2. check never writes onto a config file name it looks for, opened this time or not -------------------------
@pytest.mark.parametrize("setup, target, extra", [
    ({"trtinspect.toml": '[check]\nthreshold = "5%"\n', "ci.toml": '[check]\nthreshold = "5%"\n'},
     "trtinspect.toml", ["--config", "ci.toml"]),
    ({"trtinspect.toml": '[check]\nthreshold = "5%"\n', "pyproject.toml": "[tool.black]\nline-length = 100\n"},
     "pyproject.toml", []),
    ({}, "trtinspect.toml", []),
    ({}, "./pyproject.toml", []),
])
def test_check_refuses_an_output_named_as_a_config_file(setup: dict[str, str], target: str, extra: list[str],
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """`check --config ci.toml --json trtinspect.toml` replaced trtinspect.toml with JSON (exit 0) and the next plain
    check failed; with a trtinspect.toml present, `--json pyproject.toml` replaced a [tool.black] pyproject.toml."""
    monkeypatch.chdir(tmp_path)
    for name, text in setup.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    err = one_line_error(*run_cli(["check", "--baseline", str(RESNET / "qat"), "--candidate",
                                   str(RESNET / "qat-residual"), *extra, "--json", target], capsys))
    assert f"{target}: is a config file name check looks for" in err and "Give --json another file name" in err
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == setup


def test_check_writes_a_config_name_in_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Only the working directory is searched: reports/pyproject.toml is an ordinary output."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reports").mkdir()
    code, _, err = run_cli(["check", "--baseline", str(RESNET / "qat"), "--candidate", str(RESNET / "qat-residual"),
                            "--json", "reports/pyproject.toml"], capsys)
    assert code == 0, err
    assert (tmp_path / "reports" / "pyproject.toml").read_text(encoding="utf-8").startswith("{")


def test_check_record_onto_a_config_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    err = one_line_error(*run_cli(["check", "--baseline", str(RESNET / "qat"), "--candidate",
                                   str(RESNET / "qat-residual"), "--record", "trtinspect.toml"], capsys))
    assert "trtinspect.toml: is a config file name check looks for" in err and "--record" in err
    assert list(tmp_path.iterdir()) == []


# ---- 4. options a mode ignores are refused, PATHS after -- included -----------------------------------------------
@pytest.mark.parametrize("args, expect", [
    (["lint", "--list-rules", "--", "sample:resnet18-a100/qat"], "--list-rules cannot be combined with PATHS"),
    (["lint", "--list-rules", "--rules", "hot-layer", "--", "x"], "--list-rules cannot be combined with PATHS"),
])
def test_list_rules_with_paths_after_double_dash_is_refused(args: list[str], expect: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`lint --list-rules -- PATH` listed the rules and exited 0: the conflict check stopped at `--`."""
    err = one_line_error(*run_cli(args, capsys))
    assert f"trtinspect lint: error: {expect}" in err


def test_lint_paths_after_double_dash_still_lint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["lint", "--", "sample:resnet18-a100/qat"], capsys)
    assert code == 0 and "resnet" in out, err


@pytest.mark.parametrize("extra, named", [
    (["--layer", "x", "--engine", "y", "--limit", "1"], "--engine or --layer or --limit"),
    (["--limit", "1"], "--limit"),
    (["--engine=y"], "--engine"),
])
def test_history_check_with_list_filters_is_refused(extra: list[str], named: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`history H.db --check --layer x --engine y --limit 1` ignored the filters and said 'sound', exit 0."""
    store = tmp_path / "h.sqlite"
    store.write_bytes((DATA / "history" / "v1-store.sqlite").read_bytes())
    before = store.read_bytes()
    err = one_line_error(*run_cli(["history", str(store), "--check", *extra], capsys))
    assert f"trtinspect history: error: --check cannot be combined with {named}: it checks the whole store" in err
    assert store.read_bytes() == before
    code, out, _ = run_cli(["history", str(store), "--check"], capsys)
    assert code == 0 and "sound" in out
