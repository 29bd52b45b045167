"""Static checks that run with the ordinary test command (CI): the import-layer contract, ruff and mypy.

The installed package maps the top-level folders parsers/, inspector/ and app/ into ``trtinspect`` (see
``[tool.setuptools.package-dir]``). The checks run on a copy of the source laid out the way it installs, so they
check this checkout (not whatever is installed) under the module names users import, from outside the tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]' installs it)")
    return found


@pytest.fixture(scope="module")
def installed_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package as it installs: trtinspect/ with parsers/, inspector/, app/ inside it."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    package_dir: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    out = tmp_path_factory.mktemp("layout")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "assets", "LICENSES", "*.json", "*.log", "*.sh", "*.md")
    for package in sorted(package_dir, key=len):  # parents first
        if package == "trtinspect.sample_engines":
            continue
        shutil.copytree(ROOT / package_dir[package], out.joinpath(*package.split(".")), ignore=ignore,
                        dirs_exist_ok=True)
    shutil.copy(PYPROJECT, out / "pyproject.toml")
    return out


def _run(cmd: list[str], cwd: Path, env_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = None
    if env_path is not None:
        env = {**os.environ, "PYTHONPATH": str(env_path), "MYPYPATH": str(env_path)}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_import_layers(installed_layout: Path) -> None:
    """pyproject.toml [tool.importlinter]: imports point down the layers; parsers/inspector/capture never draw."""
    result = _run([_tool("lint-imports"), "--no-cache", "pyproject.toml"], installed_layout, installed_layout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff() -> None:
    result = _run([_tool("ruff"), "check", "--no-cache", "."], ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_installed_package(installed_layout: Path) -> None:
    """mypy -p trtinspect on the package as installed (run from outside the source tree)."""
    result = _run([_tool("mypy"), "--no-incremental", "--cache-dir", str(installed_layout / ".mypy_cache"),
                   "-p", "trtinspect"], installed_layout, installed_layout)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
