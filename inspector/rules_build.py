"""Rules about how the engine was built, read from the trtexec log's build options and TensorRT's own warnings.

``workspace-limited``: TensorRT skipped tactics because the builder's workspace pool was too small. TensorRT 10
prints, once per tactic it could not time, ``UNSUPPORTED_STATE: Skipping tactic N due to insufficient memory on
requested size of B detected for tactic 0x...`` (a ``[W]`` line); the kernel it then chose may be slower than
the one it skipped. How much slower is not knowable from the log: the skipped tactic was never timed. B is not
what the tactic needs: in a verbose build log the ``[V]`` line just before says ``Exceeded mem budget of B. Need
N`` (the same B), so B is the budget it had and N its need (the H100 TensorRT 10.16 log: budgets 2688 to 206080
bytes, needs 50176 to 1204224). The finding names the largest N it can pair with a skip (the ``[V]`` line within
:data:`_PAIR_LINES` lines before it whose budget is that skip's B) and says when the log has no need at all.
TensorRT 8.4 and 10 also print a skip as one verbose line, ``Tactic: 0x... skipped. Scratch requested: N,
available: M`` (N the need, M the pool), with no ``[W]`` line: these count too, once per tactic (:func:`_skips`).
For a TensorRT 8.x build the advice is its trtexec's (``--memPoolSize`` / ``--workspace`` sizes in MiB).

trtexec prints the workspace it gave the builder (``Memory Pools: workspace: 0.000976562 MiB, ...``). Where the
command line asked for more than that, the finding says so: TensorRT 10's trtexec reads ``--memPoolSize`` sizes
with the base-2 suffixes B, K, M and G (no suffix: MiB), so ``workspace:1024MiB`` ends in ``B`` and gives the
builder 1024 bytes (the H100 TensorRT 10.16 log in the fixtures: printed 0.000976562 MiB; TensorRT 8.4 printed
1024 MiB for the same argument).
"""

from __future__ import annotations

import math
import re

from trtinspect.inspector import precision as prec
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


def _skips(ctx: LintContext) -> tuple[list[int], list[tuple[int, int, int, str]], int]:
    """Every skip the log reports, once: the lines of the skips and (line_no, budget, need, quote) of each need.

    A ``[W] Skipping tactic`` line is paired with the verbose ``Exceeded mem budget of B. Need N`` line and with a
    verbose ``Tactic: T skipped. Scratch requested: N, available: B`` line within :data:`_PAIR_LINES` lines before
    it whose budget is its B (one tactic, one skip); a Scratch line not paired so is a skip of its own (TensorRT
    8.4 and 10 print it alone, without a [W] line)."""
    shortfalls = {int(no): (int(b), int(n)) for no, b, n in ctx.bundle.extras.get("memory_shortfalls") or []}
    scratch = {int(no): (int(b), int(n)) for no, b, n in ctx.bundle.extras.get("scratch_skips") or []}
    lines: list[int] = []
    needs: list[tuple[int, int, int, str]] = []
    w = ctx.bundle.warnings
    rows = [] if w.empty else list(zip(w["line_no"].tolist(), w["message"].tolist(), strict=True))
    for line_no, message in rows:
        m = _SKIPPED.search(str(message))
        if not m:
            continue
        line, size = int(line_no), int(m.group("bytes"))
        lines.append(line)
        found = None
        for no in range(line - 1, line - 1 - _PAIR_LINES, -1):
            if no in scratch and scratch[no][0] == size:
                budget, need = scratch.pop(no)
                found = found or (no, budget, need, f"Scratch requested: {need}, available: {budget}")
            elif found is None and shortfalls.get(no, (None,))[0] == size:
                budget, need = shortfalls[no]
                found = (no, budget, need, f"Exceeded mem budget of {budget}. Need {need}")
        if found is not None:
            needs.append(found)
    warned = len(lines)
    for no, (budget, need) in scratch.items():
        lines.append(no)
        needs.append((no, budget, need, f"Scratch requested: {need}, available: {budget}"))
    return sorted(lines), needs, warned


def _need_text(needs: list[tuple[int, int, int, str]], skipped: int, warned: bool) -> str:
    """What the log says the skipped tactics need: the largest need and its line, or that the log does not say."""
    if not needs:
        return ("how much they need is not in the log: the [W] line's 'requested size of B' is the budget a tactic "
                "had, not its need, where a --verbose build prints 'Exceeded mem budget of B. Need N' before it, and "
                "this log has no such line for them")
    line, _budget, need, quote = max(needs, key=lambda n: (n[2], -n[0]))
    unpaired = skipped - len(needs)
    return (f"the largest need is {need} B = {_bytes(str(need))} (line {line}: '{quote}'"
            + (f"; the [W] lines' 'requested size of B' is {'that' if quote.startswith('Exceeded') else 'the'} budget, "
               "not the need" if warned else "") + ")"
            + (f"; {unpaired} of the skips have no need in the log" if unpaired else ""))


def check_workspace_limited(ctx: LintContext) -> list[Finding]:
    """TensorRT skipped tactics for insufficient workspace memory (its own warnings in the build log)."""
    if ctx.bundle.warnings.empty and not ctx.bundle.extras.get("scratch_skips"):
        return []  # no log, or one with neither form of skip: costs nothing
    lines, needs, warned = _skips(ctx)
    if not lines:
        return []
    printed = run_facts.workspace(ctx.bundle)
    pm = _POOL_MIB.match(printed or "")
    printed_mib = float(pm.group("mib")) if pm else None
    asked = _asked(list(ctx.bundle.extras.get("commands") or []))
    served = _served(ctx, {layer for _, layer, _ in _failed(ctx, lines)})
    pool = "the workspace it was given" if printed is None else f"the workspace pool ({printed} as trtexec printed it)"
    cause = (f"TensorRT skipped {len(lines)} tactic(s) (log lines {', '.join(map(str, lines[:5]))}"
             f"{', ...' if len(lines) > 5 else ''}) because they need more than {pool}: "
             f"{_need_text(needs, len(lines), warned > 0)}"
             + _chosen_text(ctx, lines)
             + (f"; the reformat(s) serving those layers ({', '.join(repr(ctx.names[r]) for r in served)}) convert "
                "into a format they could run: a copy the skips caused, listed under this finding" if served else "")
             + _misread(asked, printed_mib))
    largest = max(needs, key=lambda n: (n[2], -n[0])) if needs else None
    return [Finding(
        rule_id=WORKSPACE_ID,
        rows=served,
        supersedes=("reformat-copy",) if served else (),
        title=(f"{len(lines)} tactic(s) skipped for insufficient workspace"
               + ("" if printed is None else f" (workspace {printed})")),
        cause=cause,
        evidence={"workspace_printed": printed, "workspace_asked": asked, "skipped_tactics": len(lines),
                  "largest_need_bytes": None if largest is None else largest[2],
                  "largest_need_line_no": None if largest is None else largest[0], "line_nos": lines},
        cost_ms=math.nan,
        cost_method="not estimated: the skipped tactics were never timed",
        mitigation=_mitigation_8(ctx, largest[2] if largest else None),
    )]


def _failed(ctx: LintContext, lines: list[int]) -> list[tuple[int, str, str]]:
    """(line_no, layer, formats) of each 'Fastest Tactic: 0xd15ea5edd15ea5ed Time: inf' line (no tactic of that
    format could run) within :data:`_PAIR_LINES` lines after a skip."""
    skips = set(lines)
    return [(int(no), str(layer), str(formats)) for no, layer, formats in ctx.bundle.extras.get("failed_formats") or []
            if any(int(no) - k in skips for k in range(1, _PAIR_LINES + 1))]


def _served(ctx: LintContext, layers: set[str]) -> list[int]:
    """The reformats serving a layer the log shows with a format no tactic could run: the copy into the format it
    could run is the skips' doing (one root cause; the finding absorbs their reformat-copy findings)."""
    if not layers:
        return []
    out = []
    for r in range(ctx.n):
        target = prec.reformat_target(ctx.names[r]) if ctx.is_reformat(r) else None
        if target is not None and target[2] in layers:
            out.append(r)
    return out


def _chosen_text(ctx: LintContext, lines: list[int]) -> str:
    """What TensorRT chose instead: the fastest tactic it could run, or, where a skip left a format with no tactic
    that ran ('Time: inf'), nothing in that format at all."""
    failed = _failed(ctx, lines)
    if not failed:
        return "; the kernels it chose instead were the fastest it could run, not necessarily the fastest there are"
    per_layer: dict[str, list[str]] = {}
    for _no, layer, formats in failed:
        per_layer.setdefault(layer, []).append(formats)
    what = "; ".join(f"'{layer}' in {', '.join(fmts)}" for layer, fmts in per_layer.items())
    return (f"; after {len(failed)} of the skips no tactic could run at all (log lines "
            f"{', '.join(str(f[0]) for f in failed)}: 'Fastest Tactic: 0xd15ea5edd15ea5ed Time: inf'), so TensorRT "
            f"could not build {what} and used another format there"
            + ("; elsewhere the kernels it chose were the fastest it could run, not necessarily the fastest there are"
               if len(failed) < len(lines) else ""))


def _mitigation_8(ctx: LintContext, need: int | None) -> str | None:
    """TensorRT 8.x's advice (its trtexec reads --memPoolSize / --workspace sizes in MiB); None: the rule's."""
    version = ctx.bundle.trt_version or ""
    if not version.startswith("8."):
        return None
    size = ("" if need is None
            else f" (N of at least {-(-need // (1 << 20))} for the largest need, {need} B = {_bytes(str(need))})")
    return (f"If those tactics matter, raise the workspace pool and rebuild: TensorRT {version}'s trtexec takes "
            f"--memPoolSize=workspace:N or the older --workspace=N, N in MiB{size}. What they would gain is unknown: "
            "skipped tactics were never timed; compare the new engine's kernel choice and latency.")
