"""Documentation stays true to the code: generated pages are current, every command, setting, schema column,
environment variable and linked page is documented (Datasette-style checks)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import REPO

from trtinspect.cli import COMMANDS, cli
from trtinspect.parsers import schema

DOCS = REPO / "docs"


@pytest.mark.parametrize("script", ["render_schemas.py", "render_cli_docs.py", "render_lint_findings.py"])
def test_generated_docs_are_current(script: str) -> None:
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / script), "--check"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def test_every_schema_column_documented() -> None:
    text = (DOCS / "schemas.md").read_text(encoding="utf-8")
    for name, cols in schema.ALL_SCHEMAS.items():
        for col in cols:
            assert f"`{col}`" in text, (name, col)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_documented(name: str) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert f"## `trtinspect {name}`" in text
    cmd = cli.get_command(None, name)  # type: ignore[arg-type]
    assert cmd is not None
    for param in cmd.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert opt in text, (name, opt)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_help_works_without_optional_packages(name: str) -> None:
    res = CliRunner().invoke(cli, [name, "--help"])
    assert res.exit_code == 0, res.output
    assert "Usage: " in res.output


def test_every_environment_variable_documented() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("src", "parsers", "inspector", "app")
                     for p in (REPO / folder).rglob("*.py"))
    env_vars = set(re.findall(r"\bTRTINSPECT_[A-Z_]+\b", code))
    assert env_vars, "expected at least the history database variable"
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert sorted(v for v in env_vars if v not in text) == []


def test_every_check_setting_documented() -> None:
    from trtinspect.inspector.check_config import OVERRIDE_KEYS, THRESHOLD_KEYS

    text = (DOCS / "check.md").read_text(encoding="utf-8")
    keys = [*THRESHOLD_KEYS, *OVERRIDE_KEYS, "allow_different"]
    assert sorted(k for k in keys if f"`{k}`" not in text) == []


def test_readme_and_docs_links_resolve() -> None:
    for page in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (page.parent / target).exists(), (page.name, target)


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = 'python3 -m venv .venv-test && .venv-test/bin/pip install ".[test]" && .venv-test/bin/python -m pytest'
    assert command in readme and command in ci
