"""README.md's two commands: each its own virtual environment, and the test command exactly what CI runs."""

from __future__ import annotations

import re

from conftest import REPO


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_readme_test_command_is_byte_identical_to_ci() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    marker = ci.index("# --- README test command (keep identical to README.md) ---")
    ci_command = ci[marker + 1]
    blocks = _bash_blocks(readme)
    assert ci_command in blocks, (ci_command, blocks)


def test_readme_commands_use_separate_environments() -> None:
    blocks = [b for b in _bash_blocks((REPO / "README.md").read_text(encoding="utf-8")) if "python3 -m venv" in b]
    assert len(blocks) == 2
    venvs = [re.search(r"python3 -m venv (\S+)", b).group(1) for b in blocks]  # type: ignore[union-attr]
    assert venvs == [".venv-demo", ".venv-test"]
