"""Quantized layers that still write float, as diff says them (pure; facts from the layer JSON only).

A QAT build's convolution computes INT8 wherever Q/DQ nodes were fused into it, but it writes INT8 only where
TensorRT can fuse the quantize of its output too; otherwise it writes FP16/FP32 (``Outputs[0]
"Format/Datatype"``). In the A100 ``qat`` engine the residual convolutions read their skip input in FP16 (the
residual branch has no Q/DQ) and write ``inputs.4`` as "Thirty-two wide channel vectorized row major FP16
format"; ``conv1`` writes ``onnx::MaxPool_136`` as "Row major linear FP32" for ``MaxPool_12``, which runs FP32, on
``ampere_fp32_icudnn_int8x4_128x64_relu_medium_nn_v1`` (int8x4: dp4a on CUDA cores) where the FP16 engine ran a
Tensor Core kernel (``..._hmma_...``), +0.090 ms. "moved from FP16 to INT8" said neither.

:func:`float_out_facts` gives each paired group whose compute precision changed, with one side computing a
quantized precision while writing float, a :class:`FloatOut` fact; ``diff_events`` keys its precision event by
it (so such groups are not summed with the ones that write INT8) and :func:`float_out_text` says it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from trtinspect.inspector.precision import FLOAT_PRECISIONS, QUANTIZED_PRECISIONS, tactic_class

__all__ = ["FLOAT_OUT", "RESIDUAL", "FloatOut", "float_out_facts", "float_out_text"]

# Group fact (and part of a precision event's key); diff drops it before output.
FLOAT_OUT = "float_out"
RESIDUAL = "residual not quantized"
NETWORK_OUTPUT = "for the network output"
# Layer types that pass a tensor on (followed to find who reads it) and how far.
_PASS_TYPES = frozenset({"NoOp", "Shuffle", "Reformat"})
_PASS_HOPS = 3
_NAME_MAX = 60


class FloatOut(NamedTuple):
    """A group whose quantized side writes float: ``side`` ("a"/"b") computes ``precision`` and writes ``out``
    (the other side writes ``other_out``) because ``reason`` (:data:`RESIDUAL`, "for X, which runs FP32",
    :data:`NETWORK_OUTPUT`, or "" when the layer JSON has no edges to say); ``kernel``: its CUDA-core kernel
    token ("int8x4", "dp4a", or "" for another CUDA-core name) when the other side ran a Tensor Core kernel,
    else None."""

    side: str
    precision: str
    out: str
    other_out: str | None
    reason: str
    kernel: str | None


def _is_conv(row: Mapping[str, Any]) -> bool:
    return row.get("parameter_type") == "Convolution" or "Convolution" in str(row.get("layer_type") or "")


def _short(name: str) -> str:
    return name if len(name) <= _NAME_MAX else name[:_NAME_MAX - 3] + "..."


class _Side:
    """One engine's layers by ``layer_index``, as plain dicts (only the few the facts ask for are read)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        cols = [c for c in ("layer_index", "name", "layer_type", "parameter_type", "precision", "output_precision",
                            "inputs", "output_names", "consumers", "origin", "tactic_name") if c in frame]
        self.rows = {int(r["layer_index"]): r for r in frame[cols].to_dict("records")} if "layer_index" in frame \
            else {}
        self.edges = "consumers" in frame and "inputs" in frame

    def residual(self, li: int) -> bool:
        """Whether layer ``li`` (a convolution) reads a float non-first input (the residual of its fused Add), or
        a convolution reads its output as such an input."""
        row = self.rows[li]
        if _is_conv(row) and any(t.get("dtype") in FLOAT_PRECISIONS for t in (row.get("inputs") or [])[1:]):
            return True
        mine = set(row.get("output_names") or [])
        for c in row.get("consumers") or []:
            other = self.rows.get(int(c))
            if other is not None and _is_conv(other) and any(
                    t.get("name") in mine and t.get("dtype") in FLOAT_PRECISIONS
                    for t in (other.get("inputs") or [])[1:]):
                return True
        return False

    def readers(self, li: int, own: set[int]) -> list[int] | None:
        """The layers reading ``li``'s output outside ``own``, through no-op / shuffle / copy-reformat layers (at
        most a few hops); [] when it only reaches the network output; None when a hop is unknown."""
        found: list[int] = []
        frontier, seen = [li], {li}
        for _ in range(_PASS_HOPS + 1):
            nxt: list[int] = []
            for x in frontier:
                for c in self.rows[x].get("consumers") or []:
                    c = int(c)
                    row = self.rows.get(c)
                    if row is None:
                        return None
                    if c in seen or c in own:
                        continue
                    seen.add(c)
                    passes = row.get("layer_type") in _PASS_TYPES and row.get("origin") != "QDQ"
                    (nxt if passes else found).append(c)
            if not nxt:
                return found
            frontier = nxt
        return None

    def reason(self, writers: list[int], own: set[int]) -> str:
        if not self.edges:
            return ""
        if any(self.residual(li) for li in writers):
            return RESIDUAL
        readers: list[int] = []
        for li in writers:
            got = self.readers(li, own)
            if got is None:
                return ""
            readers += [r for r in got if r not in readers]
        if not readers:
            return NETWORK_OUTPUT
        named = [(_short(str(self.rows[r]["name"])), self.rows[r].get("precision")) for r in readers[:3]]
        if len(named) == 1:
            name, p = named[0]
            return f"for {name}, which runs {p}" if isinstance(p, str) else f"for {name}"
        more = f" and {len(readers) - 3} more" if len(readers) > 3 else ""
        return "for " + ", ".join(f"{n} ({p})" if isinstance(p, str) else n for n, p in named) + more


def _kernel(writers: list[int], side: _Side, other_tactic: Any) -> str | None:
    """The quantized side's CUDA-core kernel token when all its writers run CUDA-core kernels and the other side
    ran Tensor Core kernels (every kernel of its group says so), else None."""
    names = [side.rows[li].get("tactic_name") for li in writers]
    if not names or not all(isinstance(n, str) and tactic_class(n) == "simt" for n in names):
        return None
    others = [t for t in str(other_tactic or "").split("/") if t]
    if not others or not all(tactic_class(t) == "tensor_core" for t in others):
        return None
    text = " ".join(str(n).lower() for n in names)
    return next((tok for tok in ("int8x4", "dp4a") if tok in text), "")


def float_out_facts(groups: pd.DataFrame, layers: Mapping[str, pd.DataFrame]) -> list[FloatOut | None]:
    """Per group: a :class:`FloatOut` when its compute precision changed and one side computes a quantized
    precision (INT8, FP8, INT4) while writing float, else None."""
    out: list[FloatOut | None] = [None] * len(groups)
    sides: dict[str, _Side] = {}
    cols = {c: groups[c].tolist() for c in ("kind", "changes", "a_precision", "b_precision", "a_output_precision",
                                            "b_output_precision", "a_layers", "b_layers") if c in groups}
    if len(cols) < 8:
        return out
    tactics = {s: groups[f"{s}_tactic"].tolist() if f"{s}_tactic" in groups else [None] * len(groups)
               for s in ("a", "b")}
    for i, kind in enumerate(cols["kind"]):
        changes = cols["changes"][i]
        if kind in ("only_a", "only_b", "repartitioned") or changes is None or "precision" not in list(changes):
            continue
        for s, o in (("a", "b"), ("b", "a")):
            p, w = cols[f"{s}_precision"][i], cols[f"{s}_output_precision"][i]
            if p not in QUANTIZED_PRECISIONS or w not in FLOAT_PRECISIONS or cols[f"{o}_precision"][i] == p:
                continue
            if s not in sides:
                sides[s] = _Side(layers[s])
            side = sides[s]
            own = {int(x) for x in cols[f"{s}_layers"][i]}
            writers = [li for li in own if li in side.rows and side.rows[li].get("precision") == p
                       and side.rows[li].get("output_precision") in FLOAT_PRECISIONS]
            if not writers:
                continue
            writers.sort()
            other = cols[f"{o}_output_precision"][i]
            out[i] = FloatOut(s, str(p), str(w), other if isinstance(other, str) else None,
                              side.reason(writers, own), _kernel(writers, side, tactics[o][i]))
            break
    return out


def float_out_text(fact: FloatOut, what: str, a: str, b: str, one: bool, via: str, ms: str) -> str:
    """The sentence of a precision event whose quantized side writes float: "8 convolutions with fused residual
    adds now compute INT8 instead of FP16 but still output FP16 (residual not quantized) (-0.085 ms)"; mirrored
    (A quantized): "... now compute FP16 instead of INT8 with FP16 output (residual not quantized) ..."."""
    s = "s" if one else ""
    why = f" ({fact.reason})" if fact.reason else ""
    core = "CUDA-core kernel" if not fact.kernel else f"CUDA-core {fact.kernel} kernel"
    if fact.side == "b":
        still = "still " if fact.other_out == fact.out else ""
        kernel = f", on a {core} where A ran a Tensor Core kernel" if fact.kernel is not None else ""
        return f"{what} now compute{s} {b} instead of {a} but {still}output{s} {fact.out}{why}{kernel}{via}{ms}"
    # mirrored (A quantized): each fact on its own side - B's compute and output precision, A's kernel, output and
    # reason ("for X, which runs FP32" names A's reader; "residual not quantized" is A's residual)
    b_out = fact.other_out or b
    does = f"compute{s} and write{s} {b}" if b_out == b else f"compute{s} {b} and write{s} {b_out}"
    b_kernel, a_kernel = (" on a Tensor Core kernel", f" on a {core}") if fact.kernel is not None else ("", "")
    a_why = f" {fact.reason}" if fact.reason.startswith("for ") else why
    return (f"{what} now {does}{b_kernel}, where A computed {a}{a_kernel} and wrote {fact.out}{a_why}"
            f"{via}{ms}")

