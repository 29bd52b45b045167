"""Input shapes in trtexec's ``--shapes`` syntax (``input:1x3x224x224,mask:1x128``): read and written."""

from __future__ import annotations

from trtinspect.errors import TrtInspectError

__all__ = ["format_shape", "parse_shapes"]


def parse_shapes(text: str | None) -> dict[str, tuple[int, ...]]:
    """Parse trtexec's ``--shapes`` syntax: ``input:1x3x224x224,mask:1x128`` (name split at the last ':')."""
    out: dict[str, tuple[int, ...]] = {}
    if not text:
        return out
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        name, sep, dims = item.rpartition(":")
        name = name.strip().strip("'\"")
        try:
            shape = tuple(int(x) for x in dims.lower().split("x"))
        except ValueError:
            shape = ()
        if not sep or not name or not shape or any(d < 0 for d in shape):
            raise TrtInspectError(
                f"cannot read --shapes entry '{item}'",
                hint="write NAME:DxDxD, several separated by commas, e.g. input:1x3x224x224",
            )
        out[name] = shape
    return out


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)
