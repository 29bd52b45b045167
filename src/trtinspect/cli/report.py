"""`trtinspect report PATH...`: a ten-second summary of one engine (thin layer over trtinspect.inspector.report)."""

from __future__ import annotations

import shutil

import click

from trtinspect.cli.options import load
from trtinspect.inspector.report import build_report
from trtinspect.parsers.bundle import require_detailed as ensure_detailed
from trtinspect.render.report import RENDERERS, render_text


@click.command("report")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many layers (and findings) to list.")
@click.option("--name", default=None, help="Name shown for the engine (default: from the file names).")
@click.option("--no-lint", is_flag=True, help="Skip the analyzer's findings.")
@click.option("--require-detailed", is_flag=True,
              help="Exit 2 unless the layers come from detailed layer information (for CI).")
def command(paths: tuple[str, ...], fmt: str, top: int, name: str | None, no_lint: bool,
            require_detailed: bool) -> None:
    """Summarise ONE engine: device, TensorRT version, precision mix, time by layer type, top layers,
    H2D/compute/D2H, warnings.

    PATHS is a bundle directory, an engine file with sidecars beside it, explicit exported files or logs of
    one engine, or sample:NAME (see `trtinspect samples`).
    """
    bundle = load(*paths, name=name)
    if require_detailed:
        ensure_detailed(bundle, "precision and layer-type breakdowns need detailed layer information")
    report = build_report(bundle, top=top, lint=not no_lint)
    if fmt == "text":
        width = max(100, shutil.get_terminal_size((120, 40)).columns)
        click.echo(render_text(report, width=width), nl=False)
    else:
        click.echo(RENDERERS[fmt](report))
