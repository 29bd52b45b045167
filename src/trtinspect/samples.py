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
    """Every sample name that loads as ONE engine.

    A folder holding a TREx bundle (``*.engine.graph.json`` and friends) is one sample; a folder of trtexec
    logs from several runs is listed file by file (each log, or exported JSON, is one engine).
    """
    root = samples_root()
    names: set[str] = set()
    for p in root.rglob("*"):
        if not p.is_file() or p.suffix not in {".json", ".log"}:
            continue
        rel = p.relative_to(root)
        if ".engine." in p.name:
            names.add(rel.parent.as_posix())
        else:
            names.add(rel.as_posix())
    return sorted(names)


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
