"""`trtinspect check --baseline PATH... --candidate PATH...`: the CI gate (thin layer over inspector.check).

Exit codes: 0 no regression, 1 regression, 2 bad input or tool error, 3 not comparable.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from trtinspect import render
from trtinspect.cli import keep_until_exit
from trtinspect.cli.options import load_evidence, runs_label, side_labels, write_output
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check import COMPARABILITY, run_check
from trtinspect.inspector.check_config import resolve

# Options taking several values (`--baseline a b c`, as a shell glob expands): rewritten to repeated options.
VARIADIC = ("--baseline", "--candidate", "--allow-different")
RECORD_DEFAULT = "__default__"


class VariadicCommand(click.Command):
    """Lets ``--baseline runs/base/*/`` take every path the shell expanded, up to the next option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        current: str | None = None
        for arg in args:
            if arg in VARIADIC:
                current = arg
                continue
            if current is not None and arg.startswith("-") and arg != "-":
                current = None
            if current is not None:
                out += [current, arg]
            else:
                out.append(arg)
        return super().parse_args(ctx, out)


def _record_target(record: str | None) -> str | None:
    """The validated URL ``--record`` writes to (None: not recording)."""
    if record is None:
        return None
    from trtinspect.inspector import history  # SQLAlchemy is imported only when recording

    return history.check_record_target(None if record == RECORD_DEFAULT else record)


def _load_all(paths: tuple[str, ...], side: str) -> list[Any]:
    if not paths:
        raise TrtInspectError(f"no {side} given", hint=f"pass --{side} PATH [PATH...] (one path per run)")
    return [load_evidence(p, what=f"TensorRT evidence for the {side}") for p in paths]


@click.command("check", cls=VariadicCommand)
@click.option(
    "--baseline",
    "baseline",
    multiple=True,
    metavar="PATH...",
    help="Baseline run(s): one bundle directory / engine file / sample:NAME per run.",
)
@click.option(
    "--candidate", "candidate", multiple=True, metavar="PATH...", help="Candidate run(s), likewise."
)
@click.option("--threshold", default=None, help="End-to-end relative threshold [5%].")
@click.option("--group-threshold", default=None, help="Per fusion group relative threshold [10%].")
@click.option("--floor-ms", default=None, help="Per group absolute floor: upper bound in ms [0.01].")
@click.option(
    "--floor-share",
    default=None,
    help="Per group absolute floor as a share of the engine's per-layer time [0.5%]; the floor is the smaller "
    "of the two, raised to 3x the measured run-to-run spread with >= 3 runs a side.",
)
@click.option(
    "--min-share", default=None, help="Smallest share of total time a group needs to be flagged [1%]."
)
@click.option("--alpha", default=None, help="Significance level (p end-to-end, BH q per group) [0.05].")
@click.option(
    "--strict-groups",
    is_flag=True,
    default=None,
    help="Fail on slower groups even when end-to-end GPU compute improved beyond --threshold (significantly, "
    "when >= 3 runs a side allow a test; on size alone with fewer). Default: report them as 'traded'.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML config (default: trtinspect.toml or pyproject.toml [tool.trtinspect.check]).",
)
@click.option(
    "--allow-different",
    multiple=True,
    metavar="FIELD...",
    help=f"Compare although this field differs: {', '.join(COMPARABILITY)}.",
)
@click.option("--json", "json_out", default=None, metavar="FILE|-", help="Write the full result as JSON.")
@click.option(
    "--markdown", default=None, metavar="FILE", help='Write Markdown (e.g. "$GITHUB_STEP_SUMMARY").'
)
@click.option("--junit", default=None, metavar="FILE", help="Write JUnit XML (a test case per fusion group).")
@click.option("--bencher", default=None, metavar="FILE", help="Write Bencher Metric Format JSON.")
@click.option(
    "--benchmark-json",
    default=None,
    metavar="FILE",
    help="Write github-action-benchmark customSmallerIsBetter JSON.",
)
@click.option(
    "--record",
    default=None,
    is_flag=False,
    flag_value=RECORD_DEFAULT,
    metavar="[URL]",
    help="Record into the history store (default ./trtinspect-history.sqlite or $TRTINSPECT_HISTORY_DB).",
)
@click.pass_context
def command(
    ctx: click.Context,
    baseline: tuple[str, ...],
    candidate: tuple[str, ...],
    threshold: str | None,
    group_threshold: str | None,
    floor_ms: str | None,
    floor_share: str | None,
    min_share: str | None,
    alpha: str | None,
    strict_groups: bool | None,
    config_file: str | None,
    allow_different: tuple[str, ...],
    json_out: str | None,
    markdown: str | None,
    junit: str | None,
    bencher: str | None,
    benchmark_json: str | None,
    record: str | None,
) -> None:
    """Gate CI on latency: does the candidate regress against the baseline?

    Give K repeated profiling runs per side for per-group significance (K >= 3), e.g.
    `--baseline runs/base/*/ --candidate runs/cand/*/`.
    Exit 0 pass, 1 regression, 2 bad input, 3 not comparable.
    """
    flags = {
        "threshold": threshold,
        "group_threshold": group_threshold,
        "floor_ms": floor_ms,
        "floor_share": floor_share,
        "min_share": min_share,
        "alpha": alpha,
        "strict_groups": strict_groups,
        "allow_different": list(allow_different),
    }
    cfg = resolve(flags, config_file=config_file)
    record_url = _record_target(record)  # a bad --record target fails before any work, in one line
    base = _load_all(baseline, "baseline")
    cand = _load_all(candidate, "candidate")
    result = run_check(base, cand, cfg.thresholds, overrides=cfg.overrides, allow_different=cfg.allow_different,
                       expired=cfg.expired)
    keep_until_exit(result)
    # same engine name on both sides (fp16 vs fp32 builds of resnet.onnx): what people read names the sides by
    # what the user gave; JSON keeps both, history and the benchmark formats the engine's own name
    result.baseline_label, result.candidate_label = side_labels(
        result.baseline_name, result.candidate_name, runs_label(baseline), runs_label(candidate)
    )
    targets = {"json": json_out, "markdown": markdown, "junit": junit, "bencher": bencher,
               "benchmark-json": benchmark_json}
    if json_out != "-":
        click.echo(render.render("check", result, "text"))
    for fmt, target in targets.items():
        if target:
            write_output(target, render.render("check", result, fmt), f"{fmt} report")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        click.echo(render.render("check", result, "annotations"), nl=False)
    if record_url is not None:
        from trtinspect.inspector import history

        run_id = history.record(result, base, cand, record_url)
        click.echo(f"recorded as check #{run_id} in {history.store.shown_name(record_url)}", err=True)
    # SystemExit, not ctx.exit: the code must survive click's standalone_mode=False in cli.main.
    sys.exit(result.exit_code)
