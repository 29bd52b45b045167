#!/usr/bin/env python
"""Generate a TensorRT-shaped Nsight Systems SQLite export on the real nsys schema (GENERATED, not a capture).

No public nsys export of a TensorRT run exists, so tests of per-layer attribution use this generator. The
tables are created with the DDL copied, at generation time, from the real exports in ``tests/data/nsys/``
(``h100_2gpu_1s.sqlite``, nsys 2026.2.1; ``TARGET_INFO_GPU`` from ``nsight-2025.5.2.sqlite`` since the 2026
file lacks it), and the ENUM rows are copied too. What is planted, per process:

* an NVTX domain ``TensorRT`` (eventType 75 domain create), a default-domain application range around the
  loop;
* per iteration: ``cudaMemcpyAsync`` H2D, an ``ExecutionContext::enqueueV3`` push/pop range (inline text)
  holding one push/pop range per engine layer (text via ``textId``/StringIds) named like the real ResNet-18
  engine layers (read from ``sample_engines/resnet18-a100/qat/*.graph.json``), each launching 1-2 kernels
  with known durations, then a D2H ``cudaMemcpyAsync`` and ``cudaStreamSynchronize``;
* two processes (one GPU each) whose correlation ids are the same sequence, as in real multi-process
  captures;
* with ``--myelin`` (``generate(..., layers=, parts=)`` from :func:`myelin_engine`): the layers of the real
  TensorRT 10.16 engine ``model-trained.trt`` (``sample_engines/trtexec-logs/trt10.16-h100``: its layer
  information in ``result-02.log``, three ``{ForeignNode[...]}`` Myelin layers) and, inside each ForeignNode
  layer's range, one nested push/pop range per Myelin kernel that ``result-05.log``'s ``--dumpProfile`` times
  (``__mye59_0_myl0_0``, ``node_conv2d_myl0_1``, ...), each launching that kernel. How real TensorRT nests
  these ranges is not known from a real capture (none is public): this is the shape trtinspect must handle,
  not evidence of it. ``--layers GRAPH_JSON`` takes the layer names of another real engine.

Everything is labelled: ``META_DATA_EXPORT`` rows ``GENERATED_BY`` / ``GENERATED_NOTE`` / ``GENERATED_SEED``
and the default file name contains ``generated``. Output is deterministic for a seed. :func:`generate`
returns the planted truth (per-layer and per-iteration nanoseconds) for tests.

Usage: ``python scripts/generate_nsys_trt.py OUT.sqlite [--iterations N | --kernels N] [--processes P]``
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SCHEMA_SOURCE = REPO / "tests" / "data" / "nsys" / "h100_2gpu_1s.sqlite"
GPU_SCHEMA_SOURCE = REPO / "tests" / "data" / "nsys" / "nsight-2025.5.2.sqlite"
LAYER_SOURCE = next((REPO / "sample_engines" / "resnet18-a100" / "qat").glob("*.graph.json"), None)

TABLES = (
    "StringIds",
    "CUPTI_ACTIVITY_KIND_KERNEL",
    "CUPTI_ACTIVITY_KIND_MEMCPY",
    "CUPTI_ACTIVITY_KIND_RUNTIME",
    "NVTX_EVENTS",
    "META_DATA_EXPORT",
    "ENUM_CUDA_MEMCPY_OPER",
    "ENUM_NSYS_EVENT_TYPE",
    "PROCESSES",
    "ThreadNames",
)
COPY_ROWS = ("ENUM_CUDA_MEMCPY_OPER", "ENUM_NSYS_EVENT_TYPE")
KEEP_META = (
    "EXPORT_PRODUCT_NAME",
    "EXPORT_PRODUCT_VERSION",
    "EXPORT_PRODUCT_DATE",
    "EXPORT_SCHEMA_VERSION",
    "EXPORT_SCHEMA_VERSION_MAJOR",
    "EXPORT_SCHEMA_VERSION_MINOR",
    "EXPORT_SCHEMA_VERSION_MICRO",
)
GENERATED_BY = "scripts/generate_nsys_trt.py"

ENQUEUE_TEXT = "ExecutionContext::enqueueV3"
APP_RANGE_TEXT = "inference loop"
DOMAIN_ID = 1
H2D_TO_COMPUTE_GAP = 3_000  # planted GPU idle (ns) between the input copy and the first kernel
COMPUTE_TO_D2H_GAP = 2_000  # ... and between the last kernel and the output copy
VM_BIT = 1 << 48  # real exports put the VM id above bit 48 of globalPid / globalTid
KERNELS_BY_TYPE = {
    "CaskConvolution": [
        "sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32"
        "_nchw_vect_c_32_tilesize128x128x64_stage4_warpsize2x2x1_g1_tensor16x8x32_t1r3s3",
        "sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32"
        "_nchw_vect_c_32_tilesize64x64x64_stage4_warpsize2x2x1_g1_tensor16x8x32",
    ],
    "Reformat": [
        "void genericReformat::copyPackedKernel<float, signed char, true, true, genericReformat::IdentityCoordMapper<4>, 4>(unsigned int, unsigned int, void const*, genericReformat::ArrayN<4>, genericReformat::ArrayNWithReducedDivisors<4>, genericReformat::ArrayN<4>, int, int, int, float const*, void*, genericReformat::ArrayN<4>, genericReformat::ArrayNWithReducedDivisors<4>, genericReformat::ArrayNWithReducedDivisors<4>, genericReformat::ArrayN<4>, int, int, int, float const*, int)"  # noqa: E501
    ],
    "TiledPooling": [
        "void nvinfer1::tiled_pooling::poolCHW_RS3_UV2_PQT_kernel<4, 4, 32, 2, (nvinfer1::ITiledPooling::PoolingMode)1, true>(nvinfer1::TiledPoolingParams, int)"  # noqa: E501
    ],
    "NoOp": [
        "void cuInt8::nchwToNcqhw4(float const*, unsigned int*, int, int, int, int, int, int, int, float const*)"
    ],
}
DEFAULT_KERNEL = ["void tensorrt_generic_kernel(void)"]


def layer_names_and_types(source: Path | None = LAYER_SOURCE) -> list[tuple[str, str]]:
    if source is None:
        raise SystemExit("sample_engines/resnet18-a100/qat/*.graph.json not found")
    layers = json.loads(source.read_text())["Layers"]
    return [(str(rec["Name"]), str(rec.get("LayerType", ""))) for rec in layers]


def _ddl(src: Path, tables: tuple[str, ...]) -> dict[str, str]:
    con = sqlite3.connect(f"file:{src}?mode=ro&immutable=1", uri=True)
    try:
        rows = con.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='table' AND name IN "
            f"({','.join('?' * len(tables))})",
            tables,
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _copy_rows(src: Path, table: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{src}?mode=ro&immutable=1", uri=True)
    try:
        return con.execute(f'SELECT * FROM "{table}"').fetchall()
    finally:
        con.close()


class _Writer:
    """Inserts column arrays into a table made from real DDL; NOT NULL columns not given get 0 / ''."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def insert(self, table: str, data: dict[str, Any], n: int) -> None:
        if n == 0:
            return
        info = self.con.execute(f'PRAGMA table_info("{table}")').fetchall()
        cols, values = [], []
        for _, name, typ, notnull, _default, _pk in info:
            if name in data:
                v = data[name]
                values.append(
                    v.tolist() if isinstance(v, np.ndarray) else (v if isinstance(v, list) else [v] * n)
                )
            elif notnull:
                fill = "[]" if name == "tensorSizeMinusOneElements" else ("" if "TEXT" in (typ or "") else 0)
                values.append([fill] * n)
            else:
                continue
            cols.append(name)
        unknown = set(data) - {c[1] for c in info}
        if unknown:
            raise ValueError(f"{table} has no columns {sorted(unknown)}")
        sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
        self.con.executemany(sql, zip(*values, strict=True))


def _queue(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """GPU start times of back-to-back work on one stream: start_k = max(a_k, end_{k-1}), per row."""
    c = np.zeros_like(d)
    c[:, 1:] = np.cumsum(d[:, :-1], axis=1)
    return c + np.maximum.accumulate(a - c, axis=1)


def _plan_process(
    rng: np.random.Generator, iterations: int, kpl: np.ndarray, base_dur: np.ndarray, t0: int
) -> dict[str, Any]:
    """Times (ns) of one process' loop. Host offsets repeat every iteration; GPU durations jitter."""
    nk = int(kpl.sum())
    n_layers = len(kpl)
    # Host timeline of one iteration, relative to its base.
    h2d_call = (0, 4_000)
    enq_start = 5_000
    cursor = enq_start + 500
    layer_start = np.empty(n_layers, np.int64)
    layer_end = np.empty(n_layers, np.int64)
    launch_start = np.empty(nk, np.int64)
    k = 0
    for li in range(n_layers):
        layer_start[li] = cursor
        cursor += 300
        for _ in range(int(kpl[li])):
            launch_start[k] = cursor
            cursor += 2_800
            k += 1
        layer_end[li] = cursor + 200
        cursor += 400
    launch_end = launch_start + 2_500
    enq_end = cursor + 300
    d2h_call = (enq_end + 500, enq_end + 4_500)
    # GPU durations per iteration.
    dur = base_dur[None, :] + rng.integers(0, 2_000, size=(iterations, nk))
    h2d_dur = 20_000 + rng.integers(0, 3_000, size=iterations)
    d2h_dur = 2_000 + rng.integers(0, 500, size=iterations)
    h2d_gpu_start = np.full(iterations, h2d_call[1] + 500, np.int64)
    h2d_gpu_end = h2d_gpu_start + h2d_dur
    a = np.broadcast_to(launch_end + 1_500, (iterations, nk)).copy()
    a[:, 0] = np.maximum(a[:, 0], h2d_gpu_end + H2D_TO_COMPUTE_GAP)
    k_start = _queue(a, dur)
    k_end = k_start + dur
    d2h_gpu_start = np.maximum(d2h_call[1] + 1_000, k_end[:, -1] + COMPUTE_TO_D2H_GAP)
    d2h_gpu_end = d2h_gpu_start + d2h_dur
    sync_end = d2h_gpu_end + 3_000
    length = sync_end + 5_000
    base = t0 + np.r_[0, np.cumsum(length[:-1])]
    return {
        "base": base,
        "layer_start": layer_start,
        "layer_end": layer_end,
        "launch_start": launch_start,
        "launch_end": launch_end,
        "enq": (enq_start, enq_end),
        "h2d_call": h2d_call,
        "d2h_call": d2h_call,
        "sync_end": sync_end,
        "dur": dur,
        "k_start": k_start,
        "k_end": k_end,
        "h2d": (h2d_gpu_start, h2d_gpu_end),
        "d2h": (d2h_gpu_start, d2h_gpu_end),
        "end": int(base[-1] + length[-1]),
    }


def generate(
    out: str | Path,
    *,
    iterations: int = 20,
    processes: int = 2,
    seed: int = 0,
    kernels: int | None = None,
    tensorrt: bool = True,
    layers: list[tuple[str, str]] | None = None,
    parts: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Write the export to ``out`` (replaced if present) and return the planted truth.

    ``tensorrt=False``: the same GPU work from a plain CUDA application (process ``app``, NVTX domain
    ``MyApp`` instead of ``TensorRT``): an export with no TensorRT activity. ``layers``: (name, type) of the
    engine's layers (default: the real ResNet-18 A100 qat engine's). ``parts``: layer name -> the names of the
    nested ranges inside that layer's range, one kernel each (Myelin kernels of a ``{ForeignNode[...]}`` layer).
    """
    out = Path(out)
    layers = layer_names_and_types() if layers is None else layers
    parts = parts or {}
    names = [n for n, _ in layers]
    rng = np.random.default_rng(seed)
    kpl = rng.integers(1, 3, size=len(layers))  # 1 or 2 kernels per layer
    for li, name in enumerate(names):
        if name in parts:
            kpl[li] = len(parts[name])   # one kernel per nested range
    nk = int(kpl.sum())
    if kernels is not None:
        iterations = max(1, math.ceil(kernels / (nk * processes)))
    base_dur = rng.integers(2_000, 60_000, size=nk)
    kernel_layer = np.repeat(np.arange(len(layers)), kpl)
    kernel_names = []
    kernel_part: list[str | None] = []  # the nested range each kernel is launched in (None: the layer's own)
    for li, (name, ltype) in enumerate(layers):
        choices = KERNELS_BY_TYPE.get(ltype, DEFAULT_KERNEL)
        kernel_names += parts.get(name) or [choices[j % len(choices)] for j in range(int(kpl[li]))]
        kernel_part += parts.get(name) or [None] * int(kpl[li])

    # Strings.
    strings: dict[str, int] = {}

    def sid(s: str) -> int:
        return strings.setdefault(s, len(strings) + 1)

    api = {
        k: sid(k) for k in ("cudaMemcpyAsync_v3020", "cudaLaunchKernel_v7000", "cudaStreamSynchronize_v3020")
    }
    layer_ids = np.array([sid(n) for n in names], np.int64)
    kname_ids = np.array([sid(n) for n in kernel_names], np.int64)
    short_ids = np.array([sid(n.split("(")[0].split("<")[0].split()[-1]) for n in kernel_names], np.int64)
    thread_name = sid("trtexec")

    if out.exists():
        out.unlink()
    con = sqlite3.connect(out)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    ddl = _ddl(SCHEMA_SOURCE, TABLES)
    ddl.update(_ddl(GPU_SCHEMA_SOURCE, ("TARGET_INFO_GPU",)))
    for table in (*TABLES, "TARGET_INFO_GPU"):
        con.execute(ddl[table])
    for table in COPY_ROWS:
        rows = _copy_rows(SCHEMA_SOURCE, table)
        con.executemany(f'INSERT INTO "{table}" VALUES ({",".join("?" * len(rows[0]))})', rows)
    w = _Writer(con)
    meta = [r for r in _copy_rows(SCHEMA_SOURCE, "META_DATA_EXPORT") if r[0] in KEEP_META]
    meta += [
        ("GENERATED_BY", GENERATED_BY),
        ("GENERATED_NOTE", "synthetic TensorRT-shaped export on the real nsys schema; not a real capture"),
        ("GENERATED_SEED", str(seed)),
        ("EXPORT_PARAM_OUTPUT_FILE", out.name),
    ]
    w.insert("META_DATA_EXPORT", {"name": [m[0] for m in meta], "value": [m[1] for m in meta]}, len(meta))

    truth: dict[str, Any] = {
        "layers": names,
        "parts": parts,
        "kernels_per_layer": kpl.tolist(),
        "iterations": iterations,
        "processes": {},
        "kernels": 0,
        "seed": seed,
    }
    for p in range(processes):
        pid = 4_000 + 100 * p
        gpid = VM_BIT + (pid << 24)
        gtid = gpid + pid  # main thread: tid == pid
        device = p
        plan = _plan_process(rng, iterations, kpl, base_dur, t0=1_000_000_000 + 1_234 * p)
        base = plan["base"][:, None]
        n_it = iterations
        # Correlation ids: the same sequence in every process (H2D, launches..., D2H, sync per iteration).
        per_it = nk + 3
        corr = 1 + np.arange(n_it * per_it, dtype=np.int64).reshape(n_it, per_it)
        # Runtime calls.
        rt_start = (
            np.concatenate(
                [
                    np.full((n_it, 1), plan["h2d_call"][0]),
                    plan["launch_start"][None, :].repeat(n_it, 0),
                    np.full((n_it, 1), plan["d2h_call"][0]),
                    np.full((n_it, 1), plan["d2h_call"][1] + 500),
                ],
                axis=1,
            )
            + base
        )
        rt_end = (
            np.concatenate(
                [
                    np.full((n_it, 1), plan["h2d_call"][1]),
                    plan["launch_end"][None, :].repeat(n_it, 0),
                    np.full((n_it, 1), plan["d2h_call"][1]),
                    plan["sync_end"][:, None],
                ],
                axis=1,
            )
            + base
        )
        rt_name = np.array(
            [api["cudaMemcpyAsync_v3020"]]
            + [api["cudaLaunchKernel_v7000"]] * nk
            + [api["cudaMemcpyAsync_v3020"], api["cudaStreamSynchronize_v3020"]],
            np.int64,
        )
        w.insert(
            "CUPTI_ACTIVITY_KIND_RUNTIME",
            {
                "start": rt_start.ravel(),
                "end": rt_end.ravel(),
                "eventClass": 0,
                "globalTid": gtid,
                "correlationId": corr.ravel(),
                "nameId": np.tile(rt_name, n_it),
                "returnValue": 0,
            },
            rt_start.size,
        )
        # Kernels.
        w.insert(
            "CUPTI_ACTIVITY_KIND_KERNEL",
            {
                "start": (plan["k_start"] + base).ravel(),
                "end": (plan["k_end"] + base).ravel(),
                "deviceId": device,
                "contextId": 1,
                "streamId": 13,
                "correlationId": corr[:, 1 : nk + 1].ravel(),
                "globalPid": gpid,
                "demangledName": np.tile(kname_ids, n_it),
                "shortName": np.tile(short_ids, n_it),
                "registersPerThread": 64,
                "gridX": 28,
                "gridY": 1,
                "gridZ": 1,
                "blockX": 256,
                "blockY": 1,
                "blockZ": 1,
                "gridId": np.arange(n_it * nk) + 1,
                "launchType": 0,
            },
            n_it * nk,
        )
        # Copies.
        h2d_bytes, d2h_bytes = 3 * 224 * 224 * 4, 1000 * 4
        mc_start = np.stack([plan["h2d"][0], plan["d2h"][0]], axis=1) + base
        mc_end = np.stack([plan["h2d"][1], plan["d2h"][1]], axis=1) + base
        w.insert(
            "CUPTI_ACTIVITY_KIND_MEMCPY",
            {
                "start": mc_start.ravel(),
                "end": mc_end.ravel(),
                "deviceId": device,
                "contextId": 1,
                "streamId": 13,
                "correlationId": corr[:, [0, nk + 1]].ravel(),
                "globalPid": gpid,
                "bytes": np.tile([h2d_bytes, d2h_bytes], n_it),
                "copyKind": np.tile([1, 2], n_it),
                "srcKind": np.tile([0, 2], n_it),
                "dstKind": np.tile([2, 0], n_it),
                "copyCount": 1,
            },
            2 * n_it,
        )
        # NVTX: domain create, app range, enqueue ranges (inline text), layer ranges (textId).
        first, last = int(plan["base"][0]), plan["end"]
        enq_s = plan["base"] + plan["enq"][0]
        enq_e = plan["base"] + plan["enq"][1]
        lay_s = (plan["layer_start"][None, :] + base).ravel()
        lay_e = (plan["layer_end"][None, :] + base).ravel()
        nl = len(names)
        w.insert(
            "NVTX_EVENTS",
            {
                "start": [first - 2_000, first - 1_000],
                "end": [None, last],
                "eventType": [75, 59],
                "text": ["TensorRT" if tensorrt else "MyApp", APP_RANGE_TEXT],
                "globalTid": gtid,
                "domainId": [DOMAIN_ID, 0],
            },
            2,
        )
        w.insert(
            "NVTX_EVENTS",
            {
                "start": enq_s,
                "end": enq_e,
                "eventType": 59,
                "text": ENQUEUE_TEXT,
                "globalTid": gtid,
                "domainId": DOMAIN_ID,
            },
            n_it,
        )
        w.insert(
            "NVTX_EVENTS",
            {
                "start": lay_s,
                "end": lay_e,
                "eventType": 59,
                "textId": np.tile(layer_ids, n_it),
                "globalTid": gtid,
                "domainId": DOMAIN_ID,
            },
            n_it * nl,
        )
        _insert_part_ranges(w, plan, base, kernel_part, sid, gtid)
        w.insert("PROCESSES", {"globalPid": gpid, "pid": pid, "name": "trtexec" if tensorrt else "app"}, 1)
        w.insert("ThreadNames", {"nameId": thread_name, "priority": 0, "globalTid": gtid}, 1)
        w.insert(
            "TARGET_INFO_GPU",
            {
                "vmId": VM_BIT,
                "id": device,
                "name": "Generated GPU (A100-shaped)",
                "busLocation": f"0000:0{device}:00.0",
                "isDiscrete": 1,
                "smCount": 108,
                "totalMemory": 42_505_273_344,
                "clockRate": 1_410_000_000,
                "computeMajor": 8,
                "computeMinor": 0,
                "chipName": "GA100",
                "uuid": f"generated-{seed}-{device}",
            },
            1,
        )
        per_layer = np.zeros((n_it, nl), np.int64)
        np.add.at(per_layer.T, kernel_layer, plan["dur"].T)
        truth["processes"][pid] = {
            "device": device,
            "layer_ns": {names[i]: per_layer[:, i].tolist() for i in range(nl)},
            "part_ns": {p: plan["dur"][:, k].tolist() for k, p in enumerate(kernel_part) if p is not None},
            "h2d_ns": (plan["h2d"][1] - plan["h2d"][0]).tolist(),
            "d2h_ns": (plan["d2h"][1] - plan["d2h"][0]).tolist(),
            "compute_ns": (plan["k_end"][:, -1] - plan["k_start"][:, 0]).tolist(),
            "enqueue_ns": (enq_e - enq_s).tolist(),
            "h2d_to_compute_ns": (plan["k_start"][:, 0] - plan["h2d"][1]).tolist(),
            "compute_to_d2h_ns": (plan["d2h"][0] - plan["k_end"][:, -1]).tolist(),
            "kernel_ns_total": int(plan["dur"].sum()),
            "correlation_ids": (int(corr.min()), int(corr.max())),
        }
        truth["kernels"] += n_it * nk
    w.insert("StringIds", {"id": list(strings.values()), "value": list(strings.keys())}, len(strings))
    con.commit()
    con.close()
    return truth


def _insert_part_ranges(w: _Writer, plan: dict[str, Any], base: np.ndarray, kernel_part: list[str | None],
                        sid: Any, gtid: int) -> None:
    """One push/pop range per nested part (Myelin kernel), around its kernel's launch, inside the layer's range."""
    ks = np.array([k for k, p in enumerate(kernel_part) if p is not None], np.int64)
    if len(ks) == 0:
        return
    n_it = len(base)
    w.insert(
        "NVTX_EVENTS",
        {
            "start": (plan["launch_start"][ks][None, :] - 100 + base).ravel(),
            "end": (plan["launch_end"][ks][None, :] + 100 + base).ravel(),
            "eventType": 59,
            "textId": np.tile(np.array([sid(kernel_part[k]) for k in ks], np.int64), n_it),
            "globalTid": gtid,
            "domainId": DOMAIN_ID,
        },
        n_it * len(ks),
    )


MYELIN_LOGS = REPO / "sample_engines" / "trtexec-logs" / "trt10.16-h100"


def myelin_engine(logs: Path = MYELIN_LOGS) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """The real TensorRT 10.16 engine ``model-trained.trt``: its layers (name, type) from the layer information
    of ``result-02.log`` (the build) and, per ``{ForeignNode[...]}`` layer, the Myelin kernels ``result-05.log``'s
    ``--dumpProfile`` of the same engine times (``..._myl<G>_<K>``), assigned to the ForeignNode layers in
    execution order (one Myelin graph G per ForeignNode layer)."""
    import re

    import trtinspect

    built = trtinspect.load(logs / "result-02.log").layers
    layers = [(str(n), str(t)) for n, t in zip(built["name"], built["layer_type"], strict=True)]
    profiled = [str(n) for n in trtinspect.load(logs / "result-05.log").profile["name"]]
    graphs: dict[str, list[str]] = {}
    for name in profiled:
        if (m := re.search(r"_myl(\d+)_\d+$", name)) is not None:
            graphs.setdefault(m.group(1), []).append(name)
    nodes = [n for n, _ in layers if n.startswith("{ForeignNode[")]
    if len(nodes) != len(graphs):
        raise SystemExit(f"{len(nodes)} ForeignNode layers but {len(graphs)} Myelin graphs in {logs}")
    return layers, dict(zip(nodes, graphs.values(), strict=True))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "out",
        nargs="?",
        default="trt_resnet18_generated.sqlite",
        help="output .sqlite (keep 'generated' in the name)",
    )
    ap.add_argument("--iterations", type=int, default=20, help="enqueues per process")
    ap.add_argument("--kernels", type=int, default=None, help="total kernels wanted (sets --iterations)")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-tensorrt", action="store_true", help="a plain CUDA app: no TensorRT domain or trtexec")
    ap.add_argument("--myelin", action="store_true",
                    help="the real TensorRT 10.16 engine with {ForeignNode[...]} layers, Myelin kernel ranges nested")
    ap.add_argument("--layers", type=Path, default=None, help="layer names from this engine graph JSON instead")
    args = ap.parse_args(argv)
    layers, parts = myelin_engine() if args.myelin else (None, None)
    if args.layers is not None:
        layers = layer_names_and_types(args.layers)
    truth = generate(
        args.out,
        iterations=args.iterations,
        processes=args.processes,
        seed=args.seed,
        kernels=args.kernels,
        tensorrt=not args.no_tensorrt,
        layers=layers,
        parts=parts,
    )
    print(
        f"wrote {args.out}: {truth['kernels']} kernels, {truth['iterations']} iterations x "
        f"{len(truth['processes'])} processes, {len(truth['layers'])} layers (generated, seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
