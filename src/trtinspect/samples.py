"""The bundled sample engines (real data, see sample_engines/PROVENANCE.md), named ``sample:<path>``."""

from __future__ import annotations

import difflib
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


def sample_name(path: Path) -> str | None:
    """``sample:REL`` for a path inside the bundled samples, else None."""
    try:
        rel = path.resolve().relative_to(samples_root().resolve())
    except ValueError:
        return None
    return PREFIX + rel.as_posix() if rel.parts else PREFIX


def display(path: Path) -> str:
    """How to name ``path`` in a message: its ``sample:`` name when it is a bundled sample, else the path."""
    return sample_name(path) or str(path)


def source_name(path: str | Path) -> str:
    """How an output (JSON, SARIF) names an input file: ``sample:REL`` for a bundled sample (never the install
    path in site-packages), else the path as given, with forward slashes. ``sample:...`` stays as it is."""
    text = str(path)
    if text.startswith(PREFIX):
        return text
    return sample_name(Path(text)) or Path(text).as_posix()


def samples_under(path: Path) -> list[str]:
    """Sample names (without the prefix) inside the samples folder ``path``; empty outside the samples."""
    name = sample_name(path)
    if name is None:
        return []
    rel = name[len(PREFIX):]
    return [n for n in list_samples() if not rel or n.startswith(rel + "/")]


def suggest(name: str, n: int = 3) -> tuple[bool, list[str]]:
    """Sample names for a wrong ``name``: (True, closest spellings) or (False, the samples under it, else
    the first samples)."""
    names = list_samples()
    close = difflib.get_close_matches(name, names, n=n, cutoff=0.6)
    if close:
        return True, close
    under = [s for s in names if s.startswith(name.rstrip("/") + "/")] if name else []
    return False, (under or names)[:n]


def _hint(name: str) -> str:
    close, picks = suggest(name)
    lead = f"did you mean {PREFIX}{picks[0]}?" if close else "e.g. " + ", ".join(PREFIX + s for s in picks) + ";"
    return f"{lead} `trtinspect samples` lists them all"


def resolve(arg: str) -> Path:
    """Turn ``sample:NAME`` into a path inside the bundled samples; other strings become plain paths."""
    if not arg.startswith(PREFIX):
        return Path(arg)
    name = arg[len(PREFIX):].strip("/")
    root = samples_root()
    target = (root / name).resolve()
    if root.resolve() not in target.parents and target != root.resolve():
        raise TrtInspectError(f"'{arg}' points outside the bundled samples", hint="run `trtinspect samples`")
    if not name:
        raise TrtInspectError("no sample name after 'sample:'", hint=_hint(""))
    if not target.exists():
        raise TrtInspectError(f"no bundled sample named '{name}'", hint=_hint(name))
    return target
