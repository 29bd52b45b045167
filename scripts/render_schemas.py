"""Render docs/schemas.md from parsers/schema.py (the one place schemas are declared).

Usage: python scripts/render_schemas.py [--check]
With --check, exit 1 when docs/schemas.md is out of date (the test suite runs this check).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from _docgen import write_or_check

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PY = REPO / "parsers" / "schema.py"
OUT = REPO / "docs" / "schemas.md"

HEADER = """# Frame schemas

Every frame trtinspect returns has a fixed set of columns with fixed dtypes, declared once in
`parsers/schema.py` (importable as `trtinspect.parsers.schema`). This page is generated from that file by
`python scripts/render_schemas.py`; a test fails when the two disagree.

Conventions: times in milliseconds (`*_ms`), sizes in bytes, missing values are `NA`/`NaN` (never a silent 0),
list-valued columns have dtype `object`. Empty results still carry every column with its dtype.
"""

ASSIGN = re.compile(r"^([A-Z][A-Z0-9_]*)\s*:\s*Schema\s*=\s*\{")
ENTRY = re.compile(r'^\s*"([^"]+)"\s*:\s*"([^"]+)"\s*,?\s*(?:#\s*(.*))?$')


def render() -> str:
    lines = SCHEMA_PY.read_text(encoding="utf-8").splitlines()
    out = [HEADER]
    current: str | None = None
    pending_comment: list[str] = []
    for line in lines:
        m = ASSIGN.match(line)
        if m:
            current = m.group(1)
            out.append(f"\n## `{current}`\n")
            if pending_comment:
                out.append(" ".join(pending_comment) + "\n")
            out.append("| column | dtype | meaning |\n|---|---|---|")
            pending_comment = []
            continue
        if current is None:
            stripped = line.strip()
            if stripped.startswith("#"):
                pending_comment.append(stripped.lstrip("# ").strip())
            elif not stripped:
                pending_comment = []
            continue
        if line.startswith("}"):
            current = None
            continue
        e = ENTRY.match(line)
        if e:
            col, dtype, comment = e.group(1), e.group(2), (e.group(3) or "").replace("|", "\\|")
            out.append(f"| `{col}` | `{dtype}` | {comment} |")
    return "\n".join(out) + "\n"


def main() -> int:
    return write_or_check(OUT, render(), "render_schemas.py")


if __name__ == "__main__":
    sys.exit(main())
