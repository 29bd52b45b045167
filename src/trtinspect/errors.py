"""The two exception types trtinspect raises on purpose.

``TrtInspectError`` is a *user* error: bad, missing or unsupported input. The CLI prints its message as one
line (``trtinspect: error: <file>: <what is wrong>. <what to do>``) and exits with code 2, never a traceback.
Any other exception escaping the library is an internal bug; the CLI reports it as such (exit 2, with the
traceback only under ``--debug``).
"""

from __future__ import annotations

from pathlib import Path


class TrtInspectError(Exception):
    """Bad, missing or unsupported input. The message names the file, what is wrong, and what to do."""

    def __init__(self, message: str, *, path: str | Path | None = None, hint: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.problem = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = []
        if self.path:
            parts.append(f"{self.path}: ")
        parts.append(self.problem.rstrip("."))
        if self.hint:
            parts.append(f". {sentence(self.hint).rstrip('.')}")
        return "".join(parts) + "."


# First words that are names written in lower case (commands, packages): a hint starting with one keeps it.
_LOWER_NAMES = frozenset({"pip", "trtinspect", "trtexec", "nsys", "python", "polygraphy", "sqlite"})


def sentence(text: str) -> str:
    """``text`` as the start of a sentence: its first letter capitalised, unless the first word is a name
    written in lower case (``trtexec``, ``pip``, a path, a flag)."""
    first = text.split(" ", 1)[0]
    if not first[:1].islower() or first.lower() in _LOWER_NAMES or not first.replace("-", "").isalpha():
        return text
    return text[0].upper() + text[1:]


class NotComparableError(TrtInspectError):
    """Two engines or runs differ in a field that makes comparing their latency meaningless (check exits 3)."""

    def __init__(self, message: str, *, fields: list[str], hint: str | None = None) -> None:
        self.fields = fields
        super().__init__(message, hint=hint)


class InternalError(Exception):
    """A bug in trtinspect, not a problem with the user's input."""
