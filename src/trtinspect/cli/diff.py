"""`trtinspect diff A B`: align two engines through fusion changes and explain the latency difference.

A thin layer over :func:`trtinspect.inspector.diff.diff` and :mod:`trtinspect.render.diff`.
"""

from __future__ import annotations

from pathlib import Path

import click

from trtinspect import render
from trtinspect.cli import keep_until_exit, printable
from trtinspect.cli.options import (
    format_option,
    guard_outputs,
    load_evidence,
    output_option,
    side_labels,
    text_width,
    top_option,
    write_output,
)
from trtinspect.inspector.diff import diff
from trtinspect.textfmt import FILE_WIDTH


@click.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@format_option("diff", "Output format (html: one self-contained file with charts).")
@output_option("Write the report to this file instead of standard output.")
@top_option("How many regressions and improvements to list (text/markdown), waterfall steps (html).")
@click.option("--no-lint", is_flag=True, help="Skip the analyzer's findings per group.")
@click.option("--force", is_flag=True,
              help="Compare even when A and B look like different networks (otherwise exit 3).")
def command(a: str, b: str, fmt: str, output: Path | None, top: int | None, no_lint: bool, force: bool) -> None:
    """Compare engine A (baseline) with engine B and explain where the latency changed.

    A and B are each a bundle directory, an engine file with sidecar files beside it, an exported file or
    trtexec log, or sample:NAME (see `trtinspect samples`). Layers are aligned by their ONNX source nodes
    into fusion groups; every group's time in A and B is shown, and the group deltas add up to the
    difference of the per-layer totals.

    Two engines that look like different networks (less than half of their compute layers line up) are
    refused with exit code 3 unless --force; the same network built for another GPU, TensorRT version,
    input shape or precision is compared, and what differs is said first.
    """
    guard_outputs({"--output": output}, a, b)
    bundle_a = load_evidence(a, what="an engine to diff")
    bundle_b = load_evidence(b, what="an engine to diff")
    bundle_a.name, bundle_b.name = side_labels(bundle_a.name, bundle_b.name, a, b)
    result = diff(bundle_a, bundle_b, findings=not no_lint, force=force)
    # text on a terminal fits the terminal (or COLUMNS); in a file or pipe 120 columns
    width = text_width() if output is None else FILE_WIDTH
    shown = max(1, len(result.groups)) if top is None else top
    text = render.render_output("diff", result, fmt, top=shown, width=width)
    keep_until_exit(result, text)
    write_output(output, text)
    if output is not None:
        click.echo(f"wrote {fmt} report to {printable(output)}", err=True)
