"""The GitHub Action (action.yml) run locally: each `run:` step of the composite action is executed with bash the
way the runner does (`bash --noprofile --norc -eo pipefail FILE`), with the GitHub environment variables set
(GITHUB_ACTIONS, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_WORKSPACE, RUNNER_TEMP) and `${{ ... }}` expressions
evaluated for inputs, github.* and runner.*. `uses:` steps (actions/setup-python) and the install step are
skipped: trtinspect is already installed in the interpreter running the tests, whose bin folder leads PATH.
Every file the action writes is checked."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, RESNET

from trtinspect.inspector import history

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path


def _evaluate(expr: str, inputs: dict[str, str], ctx: dict[str, str]) -> str:
    if expr.startswith("inputs."):
        return inputs[expr.removeprefix("inputs.")]
    if expr in ctx:
        return ctx[expr]
    raise AssertionError(f"expression the test harness does not know: {expr}")


def _outputs(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        assert key and "<<" not in key, line
        out[key] = value
    return out


def run_action(workspace: Path, path_prefix: str | None = None, **given: str) -> ActionRun:
    """Run the action's `run:` steps in order, stopping at the first that fails (as the runner does)."""
    declared = ACTION["inputs"]
    unknown = set(given) - {k.replace("-", "_") for k in declared}
    assert not unknown, unknown
    inputs = {k: given.get(k.replace("-", "_"), str(v.get("default", ""))) for k, v in declared.items()}
    for k, v in declared.items():
        assert not v.get("required") or inputs[k], f"required input {k} missing"
    temp = workspace.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    summary, output = temp / "step_summary.md", temp / "github_output"
    summary.touch()
    ctx = {"github.action_path": str(REPO), "runner.temp": str(temp), "github.workspace": str(workspace)}
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [*([path_prefix] if path_prefix else []), str(Path(sys.executable).parent), os.environ.get("PATH", "")]
        ),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(temp),
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_REF": "refs/pull/7/merge",
    }
    env.pop("TRTINSPECT_HISTORY_DB", None)
    stdout, stderr, code = [], [], 0
    for i, step in enumerate(STEPS):
        if "uses" in step or step.get("id") == "install":
            continue
        if "if" in step:
            raise AssertionError(f"step {step.get('name')}: the harness does not evaluate `if:`")
        output.write_text("", encoding="utf-8")
        step_env = {k: EXPR.sub(lambda m: _evaluate(m.group(1), inputs, ctx), str(v)) for k, v in step["env"].items()}
        script = temp / f"step{i}.sh"
        script.write_text(step["run"], encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env={**env, **step_env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        stdout.append(proc.stdout)
        stderr.append(proc.stderr)
        code = proc.returncode
        if step.get("id") == "check":
            outputs = _outputs(output)
        if code != 0:
            break
    action_outputs = {
        name: EXPR.sub(lambda m: outputs[m.group(1).removeprefix("steps.check.outputs.")], spec["value"])
        for name, spec in ACTION["outputs"].items()
    }
    return ActionRun(code, "".join(stdout), "".join(stderr), action_outputs, summary.read_text("utf-8"), workspace)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout with repeated profiling runs laid out as a workflow would have them."""
    ws = tmp_path / "workspace"
    for side, variant in (("base", "qat"), ("cand", "qat-residual")):
        shutil.copytree(RESNET / variant, ws / "runs" / side / "run1")
    shutil.copytree(RESNET / "qat", ws / "runs" / "slow" / "run1")
    return ws


def test_action_declares_what_the_issue_asks() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for name in ("baseline", "candidate", "thresholds", "allow-different", "history-url", "python-version",
                 "extra-args"):
        assert name in ACTION["inputs"], name
    assert set(ACTION["outputs"]) >= {"verdict", "exit-code", "e2e-delta-pct", "report-dir"}
    for step in STEPS:
        if "run" in step:
            assert step["shell"] == "bash"
            # inputs reach scripts only through env: no `${{ }}` inside a script, so no script injection
            assert "${{" not in step["run"], step["name"]


def _assert_reports(run: ActionRun, verdict: str) -> dict[str, Any]:
    out = Path(run.outputs["report-dir"])
    assert out == run.workspace / "trtinspect-report"
    assert sorted(p.name for p in out.iterdir()) == ["check.json", "diff.html", "junit.xml", "summary.md"]
    data = json.loads((out / "check.json").read_text(encoding="utf-8"))
    assert data["verdict"] == verdict == run.outputs["verdict"]
    assert run.outputs["exit-code"] == str(data["exit_code"]) == str(run.code)
    assert float(run.outputs["e2e-delta-pct"]) == pytest.approx(data["end_to_end"]["delta_pct"], abs=1e-4)
    assert float(run.outputs["e2e-delta-ms"]) == pytest.approx(data["end_to_end"]["delta_ms"], abs=1e-4)
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md and md in run.summary  # the verdict in the job summary
    junit = ET.parse(out / "junit.xml").getroot()
    assert junit.tag in ("testsuites", "testsuite")
    html = (out / "diff.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and "resnet-qat" in html
    return data


def test_faster_candidate_passes(workspace: Path) -> None:
    run = run_action(workspace, baseline="runs/base/*/", candidate="runs/cand/*/")
    assert run.code == 0, run.stderr
    data = _assert_reports(run, "pass")
    assert data["end_to_end"]["delta_pct"] < -30
    assert "::error" not in run.stdout
    junit = (Path(run.outputs["report-dir"]) / "junit.xml").read_text(encoding="utf-8")
    assert "<failure" not in junit


def test_regression_fails_the_step_annotates_and_records(workspace: Path) -> None:
    store = workspace / "history" / "latency.sqlite"
    store.parent.mkdir(parents=True)
    run = run_action(
        workspace,
        baseline="runs/cand/run1",
        candidate="runs/slow/run1",
        history_url="history/latency.sqlite",
        thresholds="threshold=5% alpha=0.05",
    )
    assert run.code == 1, run.stderr
    data = _assert_reports(run, "regression")
    assert data["end_to_end"]["delta_pct"] > 30
    assert "::error title=trtinspect%3A end-to-end regression::" in run.stdout
    junit = (Path(run.outputs["report-dir"]) / "junit.xml").read_text(encoding="utf-8")
    assert "<failure" in junit
    runs = history.list_runs(str(store))
    assert list(runs["verdict"]) == ["regression"]
    assert runs.iloc[0]["git_sha"] == "0123456789abcdef0123456789abcdef01234567"


def test_thresholds_input_reaches_check(workspace: Path) -> None:
    run = run_action(
        workspace,
        baseline="runs/cand/run1",
        candidate="runs/slow/run1",
        thresholds="threshold=90% group-threshold=100000% floor-ms=5 min-share=100%",
        html_diff="false",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["verdict"] == "pass"
    assert json.loads((Path(run.outputs["report-dir"]) / "check.json").read_text())["thresholds"]["threshold"] == 0.9
    assert not (Path(run.outputs["report-dir"]) / "diff.html").exists()


def test_bad_input_is_exit_2_with_outputs_and_a_summary_and_no_injection(workspace: Path) -> None:
    run = run_action(workspace, baseline="runs/base/run1", candidate='runs/nothing-here $(touch pwned) ";touch pwned2"')
    assert run.code == 2
    assert run.outputs["verdict"] == "error" and run.outputs["exit-code"] == "2"
    assert run.outputs["e2e-delta-pct"] == ""
    assert "could not run" in run.summary
    errors = [x for x in run.stderr.splitlines() if x.startswith("trtinspect: error:")]
    assert len(errors) == 1 and "nothing-here" in errors[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not list(workspace.glob("pwned*"))
    assert sorted(p.name for p in Path(run.outputs["report-dir"]).iterdir()) == []


def test_unknown_thresholds_key_is_refused(workspace: Path) -> None:
    run = run_action(workspace, baseline="runs/base/run1", candidate="runs/cand/run1", thresholds="treshold=5%")
    assert run.code == 2
    assert "::error title=trtinspect::unknown thresholds key 'treshold'" in run.stdout
    assert run.outputs["verdict"] == "error"


def test_docs_show_complete_github_and_gitlab_pipelines() -> None:
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    gh = [yaml.safe_load(b) for b in blocks if "jobs:" in b]
    gl = [yaml.safe_load(b) for b in blocks if "artifacts:" in b and "jobs:" not in b]
    assert gh and gl
    steps = next(iter(gh[0]["jobs"].values()))["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("trtinspect/trtinspect@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    action_step = next(s for s in steps if s.get("uses", "").startswith("trtinspect/trtinspect@"))
    assert set(action_step["with"]) <= set(ACTION["inputs"])
    job = next(iter(gl[0].values()))
    assert job["artifacts"]["reports"]["junit"]


def test_every_input_reaches_the_command_line(workspace: Path, tmp_path: Path) -> None:
    """A stand-in `trtinspect` first on PATH records its arguments: inputs map to the options they name."""
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    argv_file = tmp_path / "argv.txt"
    (fake_bin / "trtinspect").write_text(
        "#!/usr/bin/env bash\n"
        f"printf '%s\\n' \"$@\" >> '{argv_file}'\n"
        "echo ---- >> '" + str(argv_file) + "'\n"
        "exit 3\n",
        encoding="utf-8",
    )
    (fake_bin / "trtinspect").chmod(0o755)
    (workspace / "runs" / "base" / "run2").mkdir()
    run = run_action(
        workspace,
        baseline="runs/base/*",
        candidate="runs/cand/run1\nruns/slow/run1",
        thresholds="threshold=3% group-threshold=12% floor-ms=0.02 floor-share=1% min-share=2% alpha=0.01 "
                   "strict-groups=true",
        config="latency.toml",
        allow_different="trt_version clocks",
        history_url="postgresql+psycopg://ci@db/latency",
        extra_args="--bencher bencher.json",
        path_prefix=str(fake_bin),
    )
    calls = [c.strip("\n").splitlines() for c in argv_file.read_text(encoding="utf-8").split("----") if c.strip()]
    out = str(workspace / "trtinspect-report")
    # not comparable (exit 3) still gets the HTML diff of the first runs: it shows what differs
    assert len(calls) == 2
    assert calls[1] == ["diff", "runs/base/run1", "runs/cand/run1", "--format", "html", "--output", f"{out}/diff.html"]
    assert calls[0] == [
        "check", "--baseline", "runs/base/run1", "runs/base/run2", "--candidate", "runs/cand/run1", "runs/slow/run1",
        "--threshold", "3%", "--group-threshold", "12%", "--floor-ms", "0.02", "--floor-share", "1%",
        "--min-share", "2%", "--alpha", "0.01", "--strict-groups", "--config", "latency.toml", "--allow-different",
        "trt_version", "clocks",
        "--record", "postgresql+psycopg://ci@db/latency", "--json", f"{out}/check.json", "--markdown",
        f"{out}/summary.md", "--junit", f"{out}/junit.xml", "--bencher", "bencher.json",
    ]
    assert run.code == 3
    assert run.outputs["verdict"] == "not-comparable" and run.outputs["exit-code"] == "3"
    assert "not comparable" in run.summary


def test_the_action_documents_what_check_accepts() -> None:
    """The action's own examples work: each thresholds key is a check option, each allow-different example a
    field check knows (new-user trial 5: `gpu_clocks` and `floor-share` were wrong)."""
    import re

    import click

    from trtinspect.cli import check as check_cli
    from trtinspect.inspector.check_inputs import ALLOWED_FIELDS

    text = (REPO / "action.yml").read_text(encoding="utf-8")
    options = {o for p in check_cli.command.params if isinstance(p, click.Option) for o in p.opts}
    case = re.search(r"\n\s*([a-z|-]+)\) args\+=\(\"--\$key\"", text)
    assert case is not None
    keys = case.group(1).split("|")
    assert {f"--{k}" for k in keys} <= options
    assert {"--threshold", "--group-threshold", "--floor-ms", "--floor-share", "--min-share", "--alpha"} <= {
        f"--{k}" for k in keys}
    example = re.search(r"e\.g\. ([a-z_ ]+)\n", text)
    assert example is not None and set(example.group(1).split()) <= set(ALLOWED_FIELDS)


@pytest.mark.parametrize("value", ["True", "TRUE", "false", "False"])
def test_strict_groups_true_or_false_in_any_case(workspace: Path, tmp_path: Path, value: str) -> None:
    """`strict-groups=True` was ignored (only true/1/yes were read, anything else silently meant false)."""
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    argv_file = tmp_path / "argv.txt"
    (fake_bin / "trtinspect").write_text(f"#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >> '{argv_file}'\nexit 0\n",
                                         encoding="utf-8")
    (fake_bin / "trtinspect").chmod(0o755)
    run = run_action(workspace, baseline="runs/base/run1", candidate="runs/cand/run1",
                     thresholds=f"threshold=5% strict-groups={value}", html_diff="false", path_prefix=str(fake_bin))
    assert run.code == 0, run.stdout + run.stderr
    argv = argv_file.read_text(encoding="utf-8").splitlines()
    assert ("--strict-groups" in argv) is (value.lower() == "true")
    assert ("--no-strict-groups" in argv) is (value.lower() == "false")
    assert "::error" not in run.stdout


@pytest.mark.parametrize("given", ["strict-groups=on", "strict-groups=1", "strict-groups=yes", "strict-groups",
                                   "strict-groups=", "strict-groups=truee"])
def test_strict_groups_other_values_are_refused(workspace: Path, given: str) -> None:
    """Any other value was read as false and the verdict was 'pass': now one ::error line and exit 2, before
    check runs (no report is written)."""
    run = run_action(workspace, baseline="runs/base/run1", candidate="runs/slow/run1", thresholds=given)
    assert run.code == 2
    errors = [x for x in run.stdout.splitlines() if x.startswith("::error")]
    assert len(errors) == 1 and "strict-groups=true or strict-groups=false" in errors[0], run.stdout
    assert run.outputs["verdict"] == "error" and run.outputs["exit-code"] == "2"
    assert sorted(p.name for p in Path(run.outputs["report-dir"]).iterdir()) == []
    assert "Traceback" not in run.stderr


def test_docs_list_every_thresholds_key_the_action_accepts() -> None:
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    line = re.search(r"\(`KEY=VALUE` among (.*?);", text, flags=re.S)
    assert line is not None
    documented = set(re.findall(r"`([a-z-]+)`", line.group(1)))
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    case = re.search(r"\n\s*([a-z|-]+)\) args\+=\(\"--\$key\"", action)
    assert case is not None
    assert documented == set(case.group(1).split("|")) | {"strict-groups"}


def test_gitlab_example_runs_check_before_the_diff() -> None:
    """The GitLab example ran `diff` first: its exit 3 (different networks) stopped the job before check wrote
    the JUnit report. Check runs first, its code is the job's, and the diff cannot stop the script."""
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]
    job = next(iter(next(b for b in blocks if "artifacts:" in yaml.safe_dump(b) and "jobs" not in b).values()))
    script = "\n".join(job["script"])
    assert script.index("trtinspect check") < script.index("trtinspect diff")
    assert "|| code=$?" in script and 'exit "$code"' in script
    diff_line = script[script.index("trtinspect diff"):]
    assert "||" in diff_line.split("fi")[0]


@pytest.mark.parametrize("value, code, verdict",
                         [("false", 0, "pass"), ("FALSE", 0, "pass"), ("true", 1, "regression")])
def test_strict_groups_input_overrides_the_config_file(workspace: Path, value: str, code: int, verdict: str) -> None:
    """`strict-groups=false` added no argument, so a config file's `strict_groups = true` won and qat ->
    qat-residual (faster end to end, some groups slower: traded) failed; it now passes --no-strict-groups."""
    (workspace / "latency.toml").write_text("[check]\nstrict_groups = true\n", encoding="utf-8")
    run = run_action(workspace, baseline="runs/base/run1", candidate="runs/cand/run1", config="latency.toml",
                     thresholds=f"strict-groups={value}", html_diff="false")
    assert run.code == code, run.stdout + run.stderr
    assert run.outputs["verdict"] == verdict
    data = json.loads((Path(run.outputs["report-dir"]) / "check.json").read_text(encoding="utf-8"))
    assert any(g["status"] == ("regression" if code else "traded") for g in data["groups"]), data["groups"]
