"""``trtinspect capture MODEL.onnx|ENGINE --out DIR``: run trtexec K times and keep complete bundles."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from trtinspect.cli import echo, printable
from trtinspect.cli.options import PositiveNumber, refuse_passthrough
from trtinspect.samples import resolve


@click.command("capture")
@click.argument("model", metavar="MODEL.onnx|ENGINE")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New (or empty) directory for run-<k>/ bundles, logs and capture.json; never one holding files.",
)
@click.option(
    "--runs", type=click.IntRange(min=1), default=3, show_default=True, help="How many trtexec runs (K)."
)
@click.option(
    "--shapes", default=None, metavar="NAME:DxD[,NAME:DxD]", help="Input shapes (trtexec --shapes)."
)
@click.option(
    "--cuda-graph/--no-cuda-graph",
    default=False,
    show_default=True,
    help="Time the runs with CUDA graphs (--useCudaGraph).",
)
@click.option("--trtexec", "trtexec", default=None, metavar="PATH", help="trtexec to run (default: on PATH).")
@click.option(
    "--plugins",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plugin library for trtexec --plugins (runs its code). Repeatable.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=PositiveNumber("seconds"),
    default=None,
    metavar="SECONDS",
    help="Stop a trtexec run that takes longer than this.",
)
@click.option("--dry-run", is_flag=True, help="Print the trtexec commands and run nothing.")
@click.argument("extra", nargs=-1, metavar="[-- TRTEXEC_ARGS...]")
def command(
    model: str,
    out_dir: Path,
    runs: int,
    shapes: str | None,
    cuda_graph: bool,
    trtexec: str | None,
    plugins: tuple[Path, ...],
    timeout_s: float | None,
    dry_run: bool,
    extra: tuple[str, ...],
) -> None:
    """Run trtexec on MODEL (an ONNX file, built once and saved, or an engine) K times with
    --profilingVerbosity=detailed --exportLayerInfo --exportProfile --exportTimes --separateProfileRun
    --dumpProfile --useSpinWait, and write OUT/run-<k>/ bundles that `trtinspect report` reads.

    Arguments after `--` go to every trtexec run unchanged (e.g. `-- --fp16`); flags capture sets itself
    (--onnx, --loadEngine, --saveEngine, --profilingVerbosity, --separateProfileRun, --dumpProfile,
    --useSpinWait, --exportLayerInfo, --exportProfile, --exportTimes; --shapes, --useCudaGraph, --plugins when
    its own option sets them) are refused there.
    """
    from trtinspect.capture import trtexec as cap

    opts = cap.CaptureOptions(
        model=resolve(model),
        out=out_dir,
        runs=runs,
        shapes=shapes,
        cuda_graph=cuda_graph,
        trtexec=trtexec,
        plugins=tuple(plugins),
        extra_args=tuple(extra),
        timeout_s=timeout_s,
    )
    refuse_passthrough(extra, cap.own_flags(opts), who="capture",
                       hint="leave them out: capture writes the bundle's exports and engine itself; its --shapes, "
                            "--cuda-graph and --plugins options set those flags")
    if dry_run:
        cap.check_options(opts)  # the same checks as a real capture: missing model, --out already used
        exe = cap.find_trtexec(trtexec) or trtexec or "trtexec"
        for k in range(1, runs + 1):
            echo(printable(shlex.join(cap.command_for(opts, exe, k))))
        return
    result = cap.capture(opts, progress=lambda line: click.echo(printable(line), err=True))
    echo(
        f"captured {len(result.runs)} run(s) of {printable(result.name)} with {printable(result.trtexec)} "
        f"(TensorRT {result.trt_version or 'version not in log'})"
    )
    for rec in result.runs:
        echo(f"  {printable(result.out / rec.directory)}  exit {rec.returncode}  {rec.duration_s:.1f} s")
    echo(f"manifest: {printable(result.manifest)}")
