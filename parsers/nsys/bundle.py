"""An :class:`~trtinspect.parsers.model.EngineBundle` from an Nsight Systems SQLite export.

``trtinspect.load("run.sqlite")`` calls :func:`bundle_from_nsys` (the loader's nsys hook), so ``report``,
``lint``, ``diff`` and ``check`` work on nsys captures of TensorRT runs:

* ``profile`` -- per-layer GPU time from the TensorRT NVTX layer ranges (PROFILE schema; sum of the GPU
  durations of the kernels and copies launched inside each layer range, ``avg_ms`` per enqueue);
* ``layers`` -- names-only LAYERS frame built from those range names (``parsers.layers.frame_from_names``);
* ``times`` -- one row per enqueue (TIMES schema); no ``summary`` (trtexec printed nothing here: the end-to-end
  statistics are computed once from ``times`` by :mod:`trtinspect.parsers.timing`, with trtexec's rules);
* ``device`` -- the GPU the chosen process ran on (TARGET_INFO_GPU, else the GpuInfo of TARGET_INFO_SYSTEM_ENV);
* ``extras["nsys"]`` -- the :class:`NsysExport`; ``extras["nsys_attribution"]`` -- the
  :class:`NsysAttribution` (``ops`` frame of every GPU operation with its launch and ranges, ``gaps``).

Progress is reported through a ``progress(stage, done, total)`` callback the caller passes in (the command line
passes one drawing a bar on a terminal, :func:`trtinspect.render.progress.terminal_progress`); this layer never
draws or prints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.bundle import MIN_MATCHED_PROFILE_SHARE
from trtinspect.parsers.join import FOREIGN_NODE, MYELIN_PART, leftovers
from trtinspect.parsers.layers import LayerInfoMeta, frame_from_names, parse_layer_info
from trtinspect.parsers.model import EngineBundle
from trtinspect.parsers.nsys.attribution import NsysAttribution, attribute
from trtinspect.parsers.nsys.sqlite import (
    TABLES,
    NsysExport,
    Progress,
    open_readonly,
    read_gpus,
    read_nsys_sqlite,
    resolve_table,
)
from trtinspect.parsers.nsys.stats import NsysStats, has_tensorrt_activity, summarise
from trtinspect.parsers.nsys.stats_csv import NsysCsvReport, read_nsys_stats_csv, report_title
from trtinspect.textfmt import short_name

log = logging.getLogger(__name__)

# Per-layer attribution loads every kernel, copy, API call and NVTX event into frames: peak RSS 0.70 GB at 1.03 M
# and 1.66 GB at 2.07 M GPU operations (generated TensorRT exports; docs/nsys.md, Performance). Above this many it
# is skipped by default so `report` stays under 1.5 GB, and the bundle says so (the nsys stats summaries are still
# computed); bundle_from_nsys(path, attribution=True) forces it.
ATTRIBUTION_MAX_OPS = 1_500_000


def _gpu_op_count(path: Path) -> int:
    con = open_readonly(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = [t for k in ("kernels", "memcpy", "memset") if (t := resolve_table(names, TABLES[k])) is not None]
        return sum(int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables)
    finally:
        con.close()


def attribution_skipped(path: Path, attribution: bool | None) -> str | None:
    """Why per-layer attribution is skipped for this export (by choice or size), or None to run it."""
    if attribution is True:
        return None
    if attribution is False:
        return "left out by the caller (attribution=False)"
    n = _gpu_op_count(path)
    if n <= ATTRIBUTION_MAX_OPS:
        return None
    return (f"{n:,} GPU operations exceed {ATTRIBUTION_MAX_OPS:,}: it loads every event into memory, about "
            f"{0.8 * n / 1e6:.1f} GB")


SKIPPED_ADVICE = ("the nsys stats summaries cover the whole export; for per-layer times capture fewer iterations "
                  "(trtexec --iterations, nsys --duration) or call bundle_from_nsys(path, attribution=True)")


def bundle_from_nsys(
    path: str | Path,
    *,
    pid: int | None = None,
    name: str | None = None,
    progress: Progress | None = None,
    stats: NsysStats | None = None,
    layer_info: str | Path | None = None,
    attribution: bool | None = None,
) -> EngineBundle:
    """Read ``path`` (an nsys SQLite export) and return one engine bundle.

    Always: ``extras["nsys_stats"]`` (:class:`NsysStats`, the ``nsys stats`` summaries) and
    ``extras["nsys_tensorrt"]`` (whether the export shows TensorRT activity). With TensorRT activity the GPU
    work is attributed to layers and iterations (profile, times, summary). Without, nothing is cut "from
    structure": the bundle has no per-layer or per-iteration figures and says why; the whole export is never
    loaded into frames, so any size works.

    ``layer_info``: the engine's layer-information JSON (``trtexec --exportLayerInfo``); its layers replace the
    names-only frame built from the NVTX range names, and the per-layer times join them by name.
    ``attribution``: run the per-layer attribution (True), never (False), or up to :data:`ATTRIBUTION_MAX_OPS`
    GPU operations (None); when skipped, ``extras["nsys_attribution_skipped"]`` says why.
    """
    p = Path(path)
    skipped: str | None = None
    if stats is None and has_tensorrt_activity(p) and (skipped := attribution_skipped(p, attribution)) is None:
        export = read_nsys_sqlite(p, progress=progress)
        stats = summarise(p, export=export)  # kernel/API/memory summaries from the frames just read
    else:
        export = None
        stats = stats if stats is not None else summarise(p)
    bundle = EngineBundle(name=name or p.stem)
    bundle.sources = {"nsys_sqlite": [p]}
    bundle.detailed = False
    bundle.extras["nsys_stats"] = stats
    bundle.extras["nsys_tensorrt"] = stats.tensorrt
    if not stats.tensorrt:
        bundle.device = _device_without_attribution(p, stats)
        bundle.notes.append(no_tensorrt_note(stats))
        if layer_info is not None:
            bundle.notes.append(f"{Path(layer_info).name} not joined: the export has no TensorRT layer ranges")
        return bundle
    if skipped is None and export is None:
        skipped = attribution_skipped(p, attribution)
    if skipped is not None:
        bundle.device = _device_without_attribution(p, stats)
        bundle.notes += [f"TensorRT activity: {stats.tensorrt_evidence}",
                         f"per-layer attribution not computed ({skipped}); {SKIPPED_ADVICE}"]
        bundle.extras["nsys_attribution_skipped"] = skipped
        if layer_info is not None:
            bundle.notes.append(f"{Path(layer_info).name} not joined: no per-layer attribution")
        return bundle
    if export is None:
        export = read_nsys_sqlite(p, progress=progress)
    info = parse_layer_info(Path(layer_info)) if layer_info is not None else None
    att = attribute(export, pid=pid, layer_names=None if info is None else set(info[1]["name"].astype(str)))
    bundle.profile = att.profile
    bundle.times = att.times
    # no `summary`: nothing here was printed by trtexec; the timing summary (parsers/timing.py) computes the
    # figures once from these times with trtexec's rules and says how (extras["times_method"])
    bundle.extras["times_method"] = times_method(att)
    bundle.extras["per_layer_method"] = PER_LAYER_METHOD
    bundle.layers = _layers(att)
    if info is not None and layer_info is not None:
        _apply_layer_info(bundle, Path(layer_info), info)
    bundle.device = device_of(export, att)
    bundle.notes.extend(export.notes)
    bundle.notes.extend(att.notes)
    bundle.notes.append(f"TensorRT activity: {stats.tensorrt_evidence}")
    if att.pid is not None and att.pid in export.processes:
        bundle.notes.append(
            f"nsys process {att.pid} ({export.processes[att.pid]}); iterations from {att.iteration_source}"
        )
    bundle.extras["nsys"] = export
    bundle.extras["nsys_attribution"] = att
    bundle.extras["nsys_ops"] = att.ops
    bundle.extras["nsys_gaps"] = att.gaps
    return bundle


def _apply_layer_info(bundle: EngineBundle, path: Path, info: tuple[LayerInfoMeta, pd.DataFrame]) -> None:
    """Replace the names-only layers with the engine's layer information (refused when it is another engine's:
    :func:`refuse_other_engine`); say how many range names join."""
    meta, frame = info
    ranges = set(bundle.profile["name"].astype(str))
    names = set(frame["name"].astype(str)) if not frame.empty else set()
    bundle.layers = frame
    refuse_other_engine(bundle, bundle.sources["nsys_sqlite"][0], path)
    bundle.detailed = bool(getattr(meta, "detailed", False))
    bundle.sources["layer_info"] = [path]
    joined = len(ranges & names)
    bundle.notes.append(
        f"{path.name}: {len(frame)} engine layers; {joined} of {len(ranges)} TensorRT layer ranges match a layer "
        "by name" + ("" if joined == len(ranges) else " (the rest are reported as profiled, not in layers)")
    )


def refuse_other_engine(bundle: EngineBundle, export: Path, info: Path) -> None:
    """Refuse an export's TensorRT layer ranges and a layer-information JSON that cannot be one engine's, by the
    loader's rule for a profile and layer information (``parsers.bundle._refuse_foreign_profile``, docs/bundles.md)
    with the layer ranges (their per-layer GPU time) as the profile: (1) under half of the ranges name a layer and
    they hold under half of the per-layer time, or (2) each side names layers the other lacks (a range naming no
    layer and a layer with no range of GPU work). Myelin is no sign of two engines: Myelin kernel ranges
    (``..._myl<G>_<K>``) beside an untimed ``{ForeignNode[...]}`` layer, or a ``{ForeignNode[...]}`` range beside
    untimed Myelin kernel layers, are one engine's subgraph named at two levels."""
    if bundle.profile.empty or bundle.layers.empty:
        return
    joined = bundle.joined()
    rest = leftovers(joined.unmatched_profile, joined.unmatched_layers)
    foreign, untimed = rest.foreign, rest.untimed
    if any(n.startswith(FOREIGN_NODE) for n in foreign) and any(MYELIN_PART.search(n) for n in untimed):
        foreign = [n for n in foreign if not n.startswith(FOREIGN_NODE)]
        untimed = [n for n in untimed if not MYELIN_PART.search(n)]
    prof = bundle.profile
    times = prof["avg_ms"].to_numpy(dtype="float64", na_value=float("nan"))
    is_foreign = prof["name"].astype(str).isin(foreign).to_numpy()
    total = float(times[times == times].sum())
    matched_rows = len(prof) - int(is_foreign.sum())
    share = (total - float(np.nansum(times[is_foreign]))) / total if total > 0 else matched_rows / len(prof)
    where = (f"{export} and {info}: the layer information does not belong to the engine this Nsight Systems export "
             "ran: ")
    hint = ("Pass the layer-information JSON of the engine the export ran (trtexec --loadEngine=X.engine "
            "--profilingVerbosity=detailed --exportLayerInfo=X.engine.graph.json), or load the export alone")
    if share < MIN_MATCHED_PROFILE_SHARE and matched_rows < MIN_MATCHED_PROFILE_SHARE * len(prof):
        raise TrtInspectError(
            where + f"{matched_rows} of {len(prof)} TensorRT layer ranges with GPU work match its layer names "
            f"({100 * share:.1f}% of the per-layer GPU time, under {MIN_MATCHED_PROFILE_SHARE:.0%})", hint=hint)
    if foreign and untimed:
        examples = ", ".join(repr(short_name(n)) for n in foreign[:2])
        raise TrtInspectError(
            where + f"{len(foreign)} of {len(prof)} TensorRT layer ranges with GPU work match no layer ({examples}"
            f"{', ...' if len(foreign) > 2 else ''}) and {len(untimed)} of {len(bundle.layers)} layers have no "
            "range with GPU work: each file names layers the other lacks (another build or network, or an edited "
            "file)", hint=hint)


def from_nsys_files(
    by_kind: dict[str, list[Path]], *, name: str | None = None, progress: Progress | None = None
) -> EngineBundle:
    """The loader's Nsight Systems entry: ONE SQLite export (plus, optionally, the engine's layer-information
    JSON), or any number of ``nsys stats --format csv`` reports."""
    exports = by_kind.get("nsys_sqlite", [])
    csvs = by_kind.get("nsys_stats_csv", [])
    others = {k: v for k, v in by_kind.items() if k not in ("nsys_sqlite", "nsys_stats_csv", "layer_info")}
    first_other = next((v[0] for v in others.values()), None)
    if len(exports) > 1:
        names = ", ".join(p.name for p in exports[:4]) + (" ..." if len(exports) > 4 else "")
        raise TrtInspectError(
            f"holds {len(exports)} Nsight Systems SQLite exports ({names}): load one export on its own "
            "(optionally with the engine's layer-information JSON)", path=exports[0].parent,
            hint="pass one .sqlite file, or one per side to diff/check")
    if exports and (csvs or first_other is not None or len(by_kind.get("layer_info", [])) > 1):
        raise TrtInspectError(
            "load one Nsight Systems SQLite export on its own (optionally with the engine's layer-information JSON)",
            path=exports[1] if len(exports) > 1 else (csvs[0] if csvs else first_other or exports[0]),
        )
    if exports:
        info = by_kind.get("layer_info", [None])[0]
        return bundle_from_nsys(exports[0], name=name, progress=progress, layer_info=info)
    if others or by_kind.get("layer_info"):
        bad = next(iter(others.values()), by_kind.get("layer_info", [csvs[0]]))[0]
        raise TrtInspectError("load nsys stats CSV reports on their own, not with other files", path=bad)
    return bundle_from_stats_csv(csvs, name=name)


def bundle_from_stats_csv(paths: list[Path], *, name: str | None = None) -> EngineBundle:
    """A bundle holding ``nsys stats --format csv`` reports (``extras["nsys_stats_csv"]``: one
    :class:`NsysCsvReport` per file). They carry no TensorRT engine: check and diff refuse them."""
    reports = []
    for p in paths:
        report, frame = read_nsys_stats_csv(p)
        reports.append(NsysCsvReport(path=Path(p), report=report, title=report_title(report), frame=frame))
    bundle = EngineBundle(name=name or (Path(paths[0]).stem if len(paths) == 1 else "nsys stats"))
    bundle.sources = {"nsys_stats_csv": [Path(p) for p in paths]}
    bundle.extras["nsys_stats_csv"] = reports
    bundle.extras["nsys_tensorrt"] = False
    bundle.extras["nsys_tensorrt_evidence"] = "nsys stats CSV reports summarise GPU work; they hold no TensorRT layers"
    for r in reports:
        bundle.notes.append(f"{r.path.name}: nsys stats report {r.report} ({r.title}), {len(r.frame)} rows")
    return bundle


def no_tensorrt_note(stats: NsysStats) -> str:
    procs = sorted({int(x) for x in stats.streams["pid"].dropna()}) if not stats.streams.empty else []
    return (
        f"no TensorRT activity in this Nsight Systems export ({stats.tensorrt_evidence}): no per-layer or "
        f"per-iteration TensorRT figures; the nsys stats summaries describe all of its GPU work "
        f"({stats.kernel_count:,} kernels, {len(procs)} process(es) with GPU work)"
    )


NSYS_TRT_HINT = (
    "Capture the TensorRT run with `nsys profile --trace=cuda,nvtx` (TensorRT marks its layers in the TensorRT "
    "NVTX domain); `trtinspect report` shows this export's nsys stats summaries"
)


def has_tensorrt(bundle: EngineBundle) -> bool:
    """False only for an Nsight Systems input that shows no TensorRT activity (every other bundle: True)."""
    return bool(bundle.extras.get("nsys_tensorrt", True))


def require_tensorrt(bundle: EngineBundle, what: str = "TensorRT evidence", hint: str = NSYS_TRT_HINT) -> None:
    """Refuse an nsys bundle without TensorRT activity as ``what`` (one-line :class:`TrtInspectError`
    naming the file, saying "no TensorRT activity in this export" and ``hint``: what to give instead). Also refuses
    a TensorRT export whose per-layer attribution was skipped for its size (:func:`attribution_skipped`)."""
    skipped = bundle.extras.get("nsys_attribution_skipped")
    if skipped is not None:
        raise TrtInspectError(f"per-layer attribution was not computed for this Nsight Systems export ({skipped}), "
                              f"so it is not {what}", path=bundle.sources.get("nsys_sqlite", [None])[0],
                              hint="capture fewer iterations, or load it with bundle_from_nsys(path, attribution=True)")
    if has_tensorrt(bundle):
        return
    stats: NsysStats | None = bundle.extras.get("nsys_stats")
    evidence = stats.tensorrt_evidence if stats is not None else bundle.extras.get("nsys_tensorrt_evidence", "")
    path = stats.path if stats is not None else bundle.sources.get("nsys_stats_csv", [None])[0]
    raise TrtInspectError(
        f"no TensorRT activity in this export ({evidence}), so it is not {what}", path=path, hint=hint
    )


def _device_without_attribution(path: Path, stats: NsysStats) -> dict[str, Any]:
    """The GPU that ran the most kernels, from TARGET_INFO_GPU (else TARGET_INFO_SYSTEM_ENV's GpuInfo), without
    loading the events."""
    con = open_readonly(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        gpus = read_gpus(con, resolve_table(names, TABLES["gpus"]), resolve_table(names, TABLES["system_env"]))
    finally:
        con.close()
    if gpus.empty:
        return {}
    row = gpus.iloc[0]
    st = stats.streams
    if not st.empty and st["kernels"].notna().any():
        per_dev = st.groupby("device_id")["kernels"].sum()
        match = gpus[(gpus["device_id"] == int(str(per_dev.idxmax()))).fillna(False)]
        if not match.empty:
            row = match.iloc[0]
    return _device_fields(row)


def _layers(att: NsysAttribution) -> pd.DataFrame:
    names = att.profile["name"].astype(str).tolist()
    if not names:
        return schema.empty_frame(schema.LAYERS)
    layers: pd.DataFrame = frame_from_names(names)
    return layers


def device_of(export: NsysExport, att: NsysAttribution) -> dict[str, Any]:
    """The GPU of the chosen process (its most used device id), keyed like the trtexec log parser's device."""
    gpus = export.gpus
    if gpus.empty:
        return {}
    ops = att.ops
    if att.pid is not None:
        ops = ops[(ops["pid"] == att.pid).fillna(False)]
    used = ops["device_id"].dropna()
    row = gpus.iloc[0]
    if not used.empty:
        dev = int(used.value_counts().index[0])
        match = gpus[(gpus["device_id"] == dev).fillna(False)]
        if not match.empty:
            row = match.iloc[0]
    return _device_fields(row)


def _device_fields(row: pd.Series) -> dict[str, Any]:
    out: dict[str, Any] = {"source": "nsys"}
    fields = {
        "name": "name",
        "device_id": "device_id",
        "uuid": "uuid",
        "compute_capability": "compute_capability",
        "sm_count": "sms",
        "chip_name": "chip_name",
        "bus_location": "bus_location",
        "clock_rate_hz": "clock_rate_hz",
    }
    for col, key in fields.items():
        value = row[col]
        if not pd.isna(value):
            out[key] = value.item() if hasattr(value, "item") else value
    mem = row["total_memory_bytes"]
    if not pd.isna(mem):
        out["global_memory_mib"] = int(mem) // 1024**2
    bw = row["memory_bandwidth_bytes_s"]
    if not pd.isna(bw):   # the bandwidth the bytes estimates of lint use (parsers.device.peak_memory_bandwidth)
        out["memory_bandwidth_bytes_per_s"] = int(bw)
    discrete = row["is_discrete"]
    if not pd.isna(discrete):
        out["integrated"] = not bool(discrete)
    return out


# How an nsys bundle's per-layer times were obtained (lint says it beside the end-to-end time): from the timed
# iterations themselves, not from a separate run with a per-layer profiler synchronising after every layer.
PER_LAYER_METHOD = ("the GPU time of the kernels inside each layer's NVTX range in those same iterations "
                    "(Nsight Systems)")


def times_method(att: NsysAttribution) -> str:
    """How the per-iteration times of an nsys bundle were cut (shown with the timing summary)."""
    if att.iteration_source == "enqueue":
        names = " / ".join(att.enqueue_ranges) or "ExecutionContext::enqueue"
        cut = (f"one iteration per TensorRT {names} range: GPU compute from the first start to the last end of the "
               "kernels launched inside it, H2D/D2H the copies launched before/after it, Enqueue the range's own "
               "duration (its NVTX push to pop on the launching CPU thread: the host's time inside the enqueue "
               "call, the span trtexec's Enqueue Time measures from outside the call; no trtexec output is read "
               "here)")
    else:
        cut = ("iterations cut from the GPU work itself (no enqueue ranges): each H2D* -> compute* -> D2H* run of "
               "operations, GPU compute from its first kernel start to its last kernel end")
    return f"Nsight Systems export, process {att.pid}: {cut}"
