"""Rules about how the engine was built, read from the trtexec log's build options and TensorRT's own warnings.

``workspace-limited``: TensorRT skipped tactics because the builder's workspace pool was too small. TensorRT 10
prints, once per tactic it could not time, ``UNSUPPORTED_STATE: Skipping tactic N due to insufficient memory on
requested size of B detected for tactic 0x...`` (a ``[W]`` line); the kernel it then chose may be slower than
the one it skipped. How much slower is not knowable from the log: the skipped tactic was never timed. B is not
what the tactic needs: in a verbose build log the ``[V]`` line just before says ``Exceeded mem budget of B. Need
N`` (the same B), so B is the budget it had and N its need (the H100 TensorRT 10.16 log: budgets 2688 to 206080
bytes, needs 50176 to 1204224). The finding names the largest N it can pair with a skip (the ``[V]`` line within
:data:`_PAIR_LINES` lines before it whose budget is that skip's B) and says when the log has no need at all.

trtexec prints the workspace it gave the builder (``Memory Pools: workspace: 0.000976562 MiB, ...``). Where the
command line asked for more than that, the finding says so: TensorRT 10's trtexec reads ``--memPoolSize`` sizes
with the base-2 suffixes B, K, M and G (no suffix: MiB), so ``workspace:1024MiB`` ends in ``B`` and gives the
builder 1024 bytes (the H100 TensorRT 10.16 log in the fixtures: printed 0.000976562 MiB; TensorRT 8.4 printed
1024 MiB for the same argument).
"""

from __future__ import annotations

import math
import re

from trtinspect.inspector.rules_base import Finding, LintContext
from trtinspect.parsers import run_facts

WORKSPACE_ID = "workspace-limited"
_SKIPPED = re.compile(r"Skipping tactic .*?insufficient memory on requested size of (?P<bytes>\d+)")
_PAIR_LINES = 8  # a skip's "Exceeded mem budget" line comes 3 lines before it (two "Try increasing" lines between)
_POOL_MIB = re.compile(r"^\s*(?P<mib>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*MiB\s*$")
_ASKED = re.compile(r"--memPoolSize=(?:[^\s,]*,)*workspace:(?P<size>[^\s,]+)")


def _asked(commands: list[str]) -> str | None:
    """The workspace size the trtexec command line asked for, as written (``1024MiB``), if any."""
    for command in commands:
        m = _ASKED.search(command)
        if m:
            return m.group("size")
    return None


def _bytes(size: str) -> str:
    """A byte count as a short figure: 1024 -> '1 KiB', 206080 -> '201.2 KiB'."""
    n = float(size)
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.4g} {unit}"
    return f"{n:.0f} bytes"


def _misread(asked: str | None, printed_mib: float | None) -> str:
    """Why the printed pool is smaller than asked, when the command's number was read as bytes."""
    if asked is None or printed_mib is None:
        return ""
    m = re.fullmatch(r"(?P<num>\d+(?:\.\d+)?)(?P<unit>[A-Za-z]*)", asked)
    if not m:
        return ""
    printed_bytes = printed_mib * (1 << 20)
    if abs(printed_bytes - float(m.group("num"))) <= 1 and m.group("unit") not in ("", "B"):
        return (f"; the command line asked for workspace:{asked}, and trtexec gave the builder "
                f"{_bytes(m.group('num'))}: TensorRT 10's trtexec reads the last letter of a --memPoolSize size as "
                f"its unit (B, K, M or G; none: MiB), so '{asked}' ends in B and means {m.group('num')} bytes. "
                f"Write workspace:{m.group('num')}{m.group('unit')[0].upper()} (or workspace:{m.group('num')}).")
    return ""


def _needs(ctx: LintContext, lines: list[int], sizes: list[int]) -> list[tuple[int, int, int]]:
    """(line_no, budget, need in bytes) of the verbose "Exceeded mem budget of B. Need N" line before each skip
    whose B is the skip's "requested size" (none in a log built without --verbose)."""
    shortfalls = {int(no): (int(b), int(n)) for no, b, n in ctx.bundle.extras.get("memory_shortfalls") or []}
    out = []
    for line, size in zip(lines, sizes, strict=True):
        for no in range(line - 1, line - 1 - _PAIR_LINES, -1):
            if shortfalls.get(no, (None,))[0] == size:
                out.append((no, *shortfalls[no]))
                break
    return out


def _need_text(needs: list[tuple[int, int, int]], skipped: int) -> str:
    """What the log says the skipped tactics need: the largest need and its line, or that the log does not say."""
    if not needs:
        return ("how much they need is not in the log: the [W] line's 'requested size of B' is the budget a tactic "
                "had, not its need, where a --verbose build prints 'Exceeded mem budget of B. Need N' before it, and "
                "this log has no such line for them")
    line, budget, need = max(needs, key=lambda n: (n[2], -n[0]))
    unpaired = skipped - len(needs)
    return (f"the largest need is {need} B = {_bytes(str(need))} (line {line}: 'Exceeded mem budget of {budget}. "
            f"Need {need}'; the [W] lines' 'requested size of B' is that budget, not the need)"
            + (f"; {unpaired} of the skips have no need in the log" if unpaired else ""))


def check_workspace_limited(ctx: LintContext) -> list[Finding]:
    """TensorRT skipped tactics for insufficient workspace memory (its own warnings in the build log)."""
    w = ctx.bundle.warnings
    if w.empty:
        return []
    lines, sizes = [], []
    for line_no, message in zip(w["line_no"].tolist(), w["message"].tolist(), strict=True):
        m = _SKIPPED.search(str(message))
        if m:
            lines.append(int(line_no))
            sizes.append(int(m.group("bytes")))
    if not lines:
        return []
    needs = _needs(ctx, lines, sizes)
    printed = run_facts.workspace(ctx.bundle)
    pm = _POOL_MIB.match(printed or "")
    printed_mib = float(pm.group("mib")) if pm else None
    asked = _asked(list(ctx.bundle.extras.get("commands") or []))
    pool = "the workspace it was given" if printed is None else f"the workspace pool ({printed} as trtexec printed it)"
    cause = (f"TensorRT skipped {len(lines)} tactic(s) (log lines {', '.join(map(str, lines[:5]))}"
             f"{', ...' if len(lines) > 5 else ''}) because they need more than {pool}: "
             f"{_need_text(needs, len(lines))}"
             f"; the kernels it chose instead were the fastest it could run, not necessarily the fastest there are"
             + _misread(asked, printed_mib))
    largest = max(needs, key=lambda n: (n[2], -n[0])) if needs else None
    return [Finding(
        rule_id=WORKSPACE_ID,
        rows=[],
        title=(f"{len(lines)} tactic(s) skipped for insufficient workspace"
               + ("" if printed is None else f" (workspace {printed})")),
        cause=cause,
        evidence={"workspace_printed": printed, "workspace_asked": asked, "skipped_tactics": len(lines),
                  "largest_need_bytes": None if largest is None else largest[2],
                  "largest_need_line_no": None if largest is None else largest[0], "line_nos": lines},
        cost_ms=math.nan,
        cost_method="not estimated: the skipped tactics were never timed",
    )]
