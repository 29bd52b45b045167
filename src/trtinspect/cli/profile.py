"""``trtinspect profile ENGINE --out DIR``: inspect and profile a serialized engine with TensorRT on this GPU.

Loading an engine can run code from plugin libraries (``--plugins``); this command is the explicit,
documented way to do it. The web app never loads engines.
"""

from __future__ import annotations

from pathlib import Path

import click

from trtinspect.cli import echo, printable
from trtinspect.cli.options import PositiveNumber
from trtinspect.errors import TrtInspectError
from trtinspect.samples import resolve


@click.command("profile")
@click.argument("engine", metavar="ENGINE")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write the bundle into (graph, profile, timing and metadata JSON).",
)
@click.option(
    "--shapes",
    default=None,
    metavar="NAME:DxD[,NAME:DxD]",
    help="Input shapes, trtexec syntax. Default: the optimisation profile's opt shapes.",
)
@click.option(
    "--iterations", type=click.IntRange(min=1), default=None, help="Timed iterations; 100 unless --duration is given."
)
@click.option(
    "--duration",
    type=PositiveNumber("seconds"),
    default=None,
    metavar="SECONDS",
    help="Run the timing and the profile run this long each, instead of --iterations.",
)
@click.option("--warmup", type=int, default=10, show_default=True, help="Iterations run first, not recorded.")
@click.option(
    "--plugins",
    "plugins",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Plugin library to load before deserializing (runs its code). Repeatable.",
)
@click.option(
    "--data", type=click.Choice(["random", "zeros"]), default="random", show_default=True, help="Input data."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for random input data.")
@click.option("--device", type=int, default=0, show_default=True, help="CUDA device index.")
@click.option("--no-transfers", is_flag=True, help="Skip H2D/D2H copies (like trtexec --noDataTransfers).")
@click.option("--no-layer-profile", is_flag=True, help="Skip the separate per-layer profile run.")
@click.option("--overwrite", is_flag=True, help="Replace bundle files already in --out.")
def command(
    engine: str,
    out_dir: Path,
    shapes: str | None,
    iterations: int | None,
    duration: float | None,
    warmup: int,
    plugins: tuple[Path, ...],
    data: str,
    seed: int,
    device: int,
    no_transfers: bool,
    no_layer_profile: bool,
    overwrite: bool,
) -> None:
    """Deserialize ENGINE, write its layer information and per-layer / per-iteration timings as a bundle.

    Needs TensorRT's Python bindings (the version that built the engine), cuda-python and a GPU; reads GPU
    state through nvidia-ml-py and marks phases with NVTX when the nvtx package is installed.
    """
    path = resolve(engine)
    if not path.exists():
        raise TrtInspectError("no such file", path=path, hint="check the path to the serialized engine")
    if path.is_dir():
        raise TrtInspectError(
            "is a directory, expected a serialized engine file",
            path=path,
            hint="pass the .engine/.plan file; `trtinspect report DIR` reads bundle directories",
        )
    _require_engine_file(path)
    from trtinspect.capture import trt_backend  # after the path checks: a missing file is reported before TensorRT
    from trtinspect.capture.shapes import format_shape, parse_shapes
    from trtinspect.parsers import bundle_writer

    opts = trt_backend.ProfileOptions(
        shapes=parse_shapes(shapes),
        iterations=iterations,
        duration_s=duration,
        warmup=warmup,
        data=data,
        seed=seed,
        plugins=tuple(plugins),
        device=device,
        transfers=not no_transfers,
        per_layer=not no_layer_profile,
    )
    result = trt_backend.profile_engine(path, opts)
    written = trt_backend.write_profile_bundle(result, out_dir, overwrite=overwrite)

    gpu = result.device.get("Selected Device", "unknown GPU")
    echo(f"engine {printable(result.engine_path)}  TensorRT {result.trt_version}  on {gpu}")
    echo("shapes " + ", ".join(f"{k}={format_shape(v)}" for k, v in result.shapes.items()))
    if result.iterations:
        lat = bundle_writer.stats([it.latency_ms for it in result.iterations])["median"]
        comp = bundle_writer.stats([it.compute_ms for it in result.iterations])["median"]
        echo(
            f"{len(result.iterations)} iterations after {result.warmup_iterations} warm-up: "
            f"latency median {lat:.4f} ms, GPU compute median {comp:.4f} ms"
        )
    if result.layer_times:
        echo(
            f"{len(result.layer_times)} layers profiled over {result.profile_iterations} iterations; top 5:"
        )
        totals = sorted(((sum(v) / len(v), k) for k, v in result.layer_times.items()), reverse=True)[:5]
        for avg, name in totals:
            echo(f"  {avg:9.4f} ms  {printable(name)}")
    for line in result.gpu_warnings + result.notes:
        click.echo(f"warning: {printable(line)}", err=True)
    echo(f"wrote {len(written.files)} files to {printable(written.directory)}:")
    for kind, p in written.files.items():
        echo(f"  {kind:8s} {printable(p.name)}")


# Binary formats that start with a fixed signature and are never a TensorRT plan (a plan has no documented
# marker, so only these are refused before TensorRT is asked): the file's first bytes -> what it is.
_NOT_ENGINES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a zip archive (a PyTorch .pt checkpoint is one)"),
    (b"\x1f\x8b", "a gzip archive"), (b"\x7fELF", "an executable (ELF)"), (b"\x93NUMPY", "a NumPy array"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def _magic_is_sqlite(head: bytes) -> bool:
    return head.startswith(b"SQLite format 3\x00")


def _require_engine_file(path: Path) -> None:
    """Refuse what is plainly not a serialized engine before blaming a missing TensorRT: an ONNX model (that is
    `capture`'s input), an empty file, text (a log, JSON exports: `report` reads those). A serialized plan is
    binary with no reliable marker, so binary content under any name goes on to TensorRT."""
    from trtinspect.parsers import _io, sniff

    if path.suffix.lower() == ".onnx":
        raise TrtInspectError("is an ONNX model; profile takes a serialized engine", path=path,
                              hint=f"for an ONNX model use `trtinspect capture {path} --out DIR` (trtexec builds "
                                   "and profiles it), or build an engine first (trtexec --saveEngine=X.engine)")
    head = _io.without_bom(sniff.read_head(path))
    if not head.strip():
        raise TrtInspectError("file is empty, expected a serialized engine", path=path,
                              hint="pass the .engine/.plan file trtexec --saveEngine wrote")
    known = next((what for magic, what in _NOT_ENGINES if head.startswith(magic)), None)
    if known is not None:
        raise TrtInspectError(f"is {known}, not a serialized engine", path=path,
                              hint="pass the .engine/.plan file trtexec --saveEngine wrote"
                                   + ("; `trtinspect report FILE` reads Nsight Systems SQLite exports"
                                      if _magic_is_sqlite(head) else ""))
    if not _io.looks_binary(head):
        kind = sniff.detect_kind(path)
        what = "text" if kind == "unknown" else f"a {kind.replace('_', ' ')} file"
        raise TrtInspectError(f"is {what}, not a serialized engine (engines are binary)", path=path,
                              hint="pass the .engine/.plan file trtexec --saveEngine wrote; `trtinspect report "
                                   "FILE` reads exports and logs")
