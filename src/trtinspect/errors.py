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
            parts.append(f". {self.hint.rstrip('.')}")
        return "".join(parts) + "."


class NotComparableError(TrtInspectError):
    """Two engines or runs differ in a field that makes comparing their latency meaningless (check exits 3)."""

    def __init__(self, message: str, *, fields: list[str], hint: str | None = None) -> None:
        self.fields = fields
        super().__init__(message, hint=hint)


class InternalError(Exception):
    """A bug in trtinspect, not a problem with the user's input."""
