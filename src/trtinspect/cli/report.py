"""`trtinspect report PATH...`: a ten-second summary of one engine (thin layer over trtinspect.inspector.report)."""

from __future__ import annotations

import sys

import click

from trtinspect import render
from trtinspect.cli import keep_until_exit
from trtinspect.cli.options import (
    echo_output,
    format_option,
    load,
    name_option,
    paths_argument,
    text_width,
    top_option,
)
from trtinspect.inspector.report import build_report
from trtinspect.parsers.bundle import require_detailed as ensure_detailed


@click.command("report")
@paths_argument()
@format_option("report")
@top_option("How many layers (and findings) to list.")
@name_option()
@click.option("--no-lint", is_flag=True, help="Skip the analyzer's findings.")
@click.option("--require-detailed", is_flag=True,
              help="Exit 2 unless the layers come from detailed layer information (for CI).")
def command(paths: tuple[str, ...], fmt: str, top: int | None, name: str | None, no_lint: bool,
            require_detailed: bool) -> None:
    """Summarise ONE engine: device, TensorRT version, precision mix, time by layer type, top layers,
    H2D/compute/D2H, warnings.

    PATHS is a bundle directory, an engine file with sidecars beside it, explicit exported files or logs of
    one engine, or sample:NAME (see `trtinspect samples`).
    """
    bundle = load(*paths, name=name)
    if require_detailed:
        ensure_detailed(bundle, "precision and layer-type breakdowns need detailed layer information")
    report = build_report(bundle, top=sys.maxsize if top is None else top, lint=not no_lint)
    text = render.render_output("report", report, fmt, width=text_width())
    keep_until_exit(report, text)
    echo_output(text)
