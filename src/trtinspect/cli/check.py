"""`trtinspect check --baseline PATH... --candidate PATH...`: the CI gate (thin layer over inspector.check).

Exit codes: 0 no regression, 1 regression, 2 bad input or tool error, 3 not comparable.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from trtinspect import render
from trtinspect.cli import echo, keep_until_exit, printable
from trtinspect.cli.options import (
    GATE_SETTINGS,
    VariadicCommand,
    echo_output,
    file_format_options,
    file_format_targets,
    gate_options,
    guard_outputs,
    load_evidence,
    refuse_config_outputs,
    refuse_overwriting_inputs,
    runs_label,
    side_labels,
    text_width,
    write_output,
)
from trtinspect.errors import TrtInspectError
from trtinspect.inspector.check import COMPARABILITY, run_check
from trtinspect.inspector.check_config import resolve, searched_config_files

RECORD_DEFAULT = "__default__"


def _record_target(record: str | None) -> tuple[str | None, str | None]:
    """The validated URL ``--record`` writes to and its SQLite file ((None, None): not recording)."""
    if record is None:
        return None, None
    from trtinspect.inspector import history  # SQLAlchemy is imported only when recording

    url = history.check_record_target(None if record == RECORD_DEFAULT else record)
    path = history.store.sqlite_path(url)
    return url, None if path is None else str(path)


def _load_all(paths: tuple[str, ...], side: str) -> list[Any]:
    if not paths:
        raise TrtInspectError(f"no {side} given", hint=f"pass --{side} PATH [PATH...] (one path per run)")
    return [load_evidence(p, what=f"TensorRT evidence for the {side}") for p in paths]


class CheckCommand(VariadicCommand):
    """``check``'s runs are options: paths given without ``--baseline``/``--candidate`` (as ``diff A B`` takes
    them) are refused with the command that takes them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if "unexpected extra argument" not in exc.message:
                raise
            raise click.UsageError(f"{exc.message}: check takes each side's runs as options, "
                                   "e.g. trtinspect check --baseline BASE --candidate CAND", ctx) from None


@click.command("check", cls=CheckCommand)
@click.option("--baseline", "baseline", multiple=True, metavar="PATH...",
              help="Baseline run(s): one bundle directory / engine file / sample:NAME per run.")
@click.option("--candidate", "candidate", multiple=True, metavar="PATH...", help="Candidate run(s), likewise.")
@gate_options(list(COMPARABILITY))
@file_format_options("check")
@click.option("--record", default=None, is_flag=False, flag_value=RECORD_DEFAULT, metavar="[URL]",
              help="Record into the history store (default ./trtinspect-history.sqlite or $TRTINSPECT_HISTORY_DB).")
def command(baseline: tuple[str, ...], candidate: tuple[str, ...], config_file: str | None, record: str | None,
            **options: Any) -> None:
    """Gate CI on latency: does the candidate regress against the baseline?

    Give K repeated profiling runs per side for per-group significance (K >= 3), e.g.
    `--baseline runs/base/*/ --candidate runs/cand/*/`.
    A format given `-` (e.g. `--bencher -`) is written to standard output alone, without the text verdict; at
    most one format goes there. Exit 0 pass, 1 regression, 2 bad input, 3 not comparable.
    """
    flags = {k: options[k] for k in GATE_SETTINGS}
    flags["allow_different"] = list(flags["allow_different"])
    cfg = resolve(flags, config_file=config_file)
    record_url, record_file = _record_target(record)  # a bad --record target fails before any work, in one line
    targets = file_format_targets("check", options)  # so do two formats sent to standard output
    # and an output onto a config file it read (pyproject.toml without a trtinspect table too), the history
    # store, an input or another output
    outputs = {f"--{fmt}": target for fmt, target in targets.items()}
    guard_outputs(outputs, *cfg.read, record_file, *baseline, *candidate)
    # nor onto a config file name check looks for, opened this time or not (--config ci.toml --json trtinspect.toml)
    refuse_config_outputs({**outputs, "--record": record_file}, searched_config_files())
    base = _load_all(baseline, "baseline")
    cand = _load_all(candidate, "candidate")
    result = run_check(base, cand, cfg.thresholds, overrides=cfg.overrides, allow_different=cfg.allow_different,
                       expired=cfg.expired)
    keep_until_exit(result)
    refuse_overwriting_inputs(*targets.values())      # before any output: no half-written set of reports
    # same engine name on both sides (fp16 vs fp32 builds of resnet.onnx): what people read names the sides by
    # what the user gave; JSON keeps both, history and the benchmark formats the engine's own name
    result.baseline_label, result.candidate_label = side_labels(
        result.baseline_name, result.candidate_name, runs_label(baseline), runs_label(candidate),
        (baseline, candidate),
    )
    result.config_file = ("" if cfg.source is None else config_file if config_file is not None
                          else f"{cfg.source.name} (found in the working directory)")
    if "-" not in targets.values():   # a document on standard output is all that goes there (one stream, one parse)
        echo_output(render.render("check", result, "text", width=text_width()))
    for fmt, target in targets.items():
        if target:
            write_output(target, render.render("check", result, fmt), f"{fmt} report")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        echo(render.render("check", result, "annotations"), nl=False)
    if record_url is not None:
        from trtinspect.inspector import history

        run_id = history.record(result, base, cand, record_url)
        click.echo(f"recorded as check #{run_id} in {printable(history.store.shown_name(record_url))}", err=True)
    # SystemExit, not ctx.exit: the code must survive click's standalone_mode=False in cli.main.
    sys.exit(result.exit_code)
