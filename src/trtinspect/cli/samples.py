"""`trtinspect samples`: list the bundled sample engines."""

from __future__ import annotations

import click

from trtinspect.cli import echo, printable
from trtinspect.samples import list_samples, samples_root


@click.command("samples")
@click.option("--path", "show_path", is_flag=True, help="Also print where the samples are installed.")
def command(show_path: bool) -> None:
    """List the bundled sample engines; pass one to any command as sample:NAME."""
    if show_path:
        echo(f"# {printable(samples_root())}")
    for name in list_samples():
        echo(f"sample:{name}")
