"""What a run was built and run with, read once from a bundle's options for every command: the build precision,
the input shapes, the workspace and the DLA core.

Options come from trtexec logs of every era (the ``=== ... Options ===`` sections of TensorRT 7+, and the argument
echo of earlier trtexec read into the same vocabulary by :func:`trtinspect.parsers.trtexec_log_sections.
options_from_arguments5`) and from TREx metadata. ``report`` shows these facts, ``check`` compares them
(``inspector/check_inputs.py``), the batch of the timing figures is read by :func:`trtinspect.parsers.timing.batch_of`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

# What TREx/trtexec record instead of shapes when the run used the model's own (static) shapes: not a shape.
SHAPE_PLACEHOLDERS = frozenset({"model"})
SHAPE_KEYS = ("Input inference shape", "Input inference shapes", "Shapes", "shapes", "input_shapes", "Input shapes")
# the build precision flags TREx build metadata may hold instead of trtexec's "Precision" line
_PRECISION_FLAGS = ("fp16", "bf16", "int8", "fp8", "int4", "best", "tf32", "noTF32", "stronglyTyped")
_WORKSPACE_POOL = re.compile(r"\bworkspace: (?P<size>[^,]+)")


def lookup(d: dict[str, Any], keys: Sequence[str]) -> str | None:
    """The first non-empty value of ``keys`` in ``d`` (keys compared case-insensitively), as text."""
    low = {str(k).lower(): v for k, v in d.items()}
    for k in keys:
        v = low.get(k.lower())
        if v not in (None, "", [], {}):
            return str(v)
    return None


def build_precision(b: EngineBundle) -> str | None:
    """The precisions the build allowed: trtexec's ``Precision`` option (``FP32+INT8``), else the flags TREx
    build metadata recorded (``fp16+int8``); None when unknown."""
    v = lookup(b.build_options, ["Precision", "precision"])
    if v is not None:
        return v
    flags = [f for f in _PRECISION_FLAGS
             if str(lookup(b.build_options, [f, "--" + f]) or "").lower() in ("true", "enabled", "1", "yes")]
    return "+".join(flags) if flags else None


def shapes_placeholder(b: EngineBundle) -> bool:
    """The run recorded a placeholder (``Input inference shapes: model``) instead of its input shapes."""
    v = lookup(b.inference_options, SHAPE_KEYS)
    return v is not None and v.strip().lower() in SHAPE_PLACEHOLDERS


_BATCH_FLAG = re.compile(r"(?:^|\s)--batch=(?P<n>\d+)(?=\s|$)")


def implicit_batch(b: EngineBundle) -> int | None:
    """The implicit batch of the run (see :func:`implicit_batch_read`), else None."""
    return implicit_batch_read(b)[0]


def implicit_batch_read(b: EngineBundle) -> tuple[int | None, str | None]:
    """(the implicit batch of a TensorRT <= 8.x run, where it was read): inference options ``Batch: 16``
    (trtexec prints ``Batch: Explicit`` otherwise), else ``--batch=16`` on the trtexec command line of the
    ``&&&&`` line (a log quoted without its options block); (None, None) for explicit batch or unknown. trtexec's
    throughput counts samples (batchSize x iterations / walltime) under an implicit batch."""
    text = str(b.inference_options.get("Batch", "")).strip()
    if text.isdigit() and int(text) > 0:
        return int(text), f"inference options 'Batch: {text}'"
    if not text:
        for command in b.extras.get("commands") or []:
            m = _BATCH_FLAG.search(str(command))
            if m is not None and int(m.group("n")) > 0:
                return int(m.group("n")), f"command line '--batch={m.group('n')}'"
    return None, None


def input_shapes(b: EngineBundle) -> tuple[str | None, str | None]:
    """(the input shapes the run used, where they come from): the recorded inference shapes (``x=4x1x28x28``),
    else, where the options record none or a placeholder (``model``), the shapes a trtexec log says its inputs
    were bound with (``x=1x1x28x28``, from "Input binding for x with dimensions 1x1x28x28"; before TensorRT 7,
    ``Input "data": 3x224x224``); (None, None) when neither is known. Under an implicit batch the bound shapes
    are per sample (no batch dimension)."""
    v = lookup(b.inference_options, SHAPE_KEYS)
    if v is not None and v.strip().lower() not in SHAPE_PLACEHOLDERS:
        return v, "the run's input shapes option"
    bound = b.extras.get("input_bindings")
    if not isinstance(bound, str) or not bound:
        return None, None
    batch = implicit_batch(b)
    if batch is not None:
        return bound, f"per sample, implicit batch {batch}"
    return bound, "bound by trtexec" + (f"; options: '{v.strip()}', no --shapes given" if v is not None else "")


def workspace(b: EngineBundle) -> str | None:
    """The builder's workspace limit as printed (7.x ``Workspace: 16 MB``, 8.4+ ``Memory Pools: workspace:
    1024 MiB, ...``); None when unknown or trtexec's ``default`` (no limit given)."""
    v = lookup(b.build_options, ["Workspace"])
    if v is None:
        pools = lookup(b.build_options, ["Memory Pools"]) or ""
        m = _WORKSPACE_POOL.search(pools)
        v = m.group("size").strip() if m else None
    return None if v is None or v.lower() == "default" else v


def dla_core(b: EngineBundle) -> str | None:
    """The DLA core the run used, as printed (``0(With GPU fallback)``), None when none (empty ``DLACore:``)."""
    system = b.extras.get("system_options")
    v = lookup(system, ["DLACore"]) if isinstance(system, dict) else None
    return v.strip() if v and v.strip() else None


def device_index(b: EngineBundle) -> str | None:
    """The CUDA device index the run selected (System Options ``Device: 0``), None when not printed."""
    system = b.extras.get("system_options")
    v = lookup(system, ["Device"]) if isinstance(system, dict) else None
    return v.strip() if v and v.strip().isdigit() else None
