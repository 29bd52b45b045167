"""The bundled sample engines (real data, see sample_engines/PROVENANCE.md), named ``sample:<path>``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from trtinspect.errors import TrtInspectError

PREFIX = "sample:"


def samples_root() -> Path:
    """Folder holding the bundled samples, in an installed wheel or a source checkout."""
    return Path(str(resources.files("trtinspect.sample_engines")))


def list_samples() -> list[str]:
    """Every sample name: each folder under sample_engines/ that directly holds data files."""
    root = samples_root()
    names = set()
    for p in root.rglob("*"):
        if p.is_file() and p.suffix in {".json", ".log"}:
            names.add(p.parent.relative_to(root).as_posix())
    return sorted(n for n in names if n != ".")


def resolve(arg: str) -> Path:
    """Turn ``sample:NAME`` into a path inside the bundled samples; other strings become plain paths."""
    if not arg.startswith(PREFIX):
        return Path(arg)
    name = arg[len(PREFIX):].strip("/")
    root = samples_root()
    target = (root / name).resolve()
    if root.resolve() not in target.parents and target != root.resolve():
        raise TrtInspectError(f"'{arg}' points outside the bundled samples", hint="run `trtinspect samples`")
    if not target.exists():
        raise TrtInspectError(
            f"no bundled sample named '{name}'",
            hint="run `trtinspect samples` to list them, e.g. sample:resnet18-a100/qat",
        )
    return target
