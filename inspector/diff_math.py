"""The math a layer's kernel does, where its precision alone says less than the truth (pure string rules).

TensorRT reports an FP32 layer's tensors as FP32; on Ampere and later it may still run the layer's multiplies on
Tensor Cores in TF32 (inputs rounded to a 10-bit mantissa, FP32 accumulation), which TensorRT allows by default
(``--noTF32`` forbids it). The layer JSON says so only in the kernel (tactic) name: ``sm80_xmma_fprop_implicit_gemm_
f32f32_tf32f32_f32_...`` is TF32 Tensor Core math, ``ampere_scudnn_128x64_relu_...`` is FP32 on CUDA cores. ``diff``
names the first "FP32 (TF32 Tensor Core math)" and the second "FP32" (:func:`precision_label`), in its events, its
group tables and its time-by-precision table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MATH_A", "MATH_B", "TF32_LABEL", "TF32_NOTE", "TF32_PATTERN", "add_math_facts", "group_precision_label",
           "precision_keys", "precision_label", "uses_tf32"]

# Kernel-name tokens of TF32 Tensor Core math: xmma/cutlass "tf32" (``f32f32_tf32f32_f32``), cuBLAS/cuDNN
# single-precision Tensor Core MMA shapes (``ampere_s1688gemm_...``, ``s16816gemm``). Nothing else: a name
# without them (``scudnn``, ``sgemm``, no kernel name at all) is FP32 math as far as the data shows.
TF32_PATTERN = re.compile(r"tf32|(?:^|_)s(?:1688|16816)", re.IGNORECASE)
# Group facts (diff_events reads them, diff drops them): the precision each side's event says, where it is more
# than the precision (None elsewhere).
MATH_A, MATH_B = "a_math", "b_math"
TF32_LABEL = "FP32 (TF32 Tensor Core math)"
TF32_NOTE = (f"{TF32_LABEL}: an FP32 layer whose kernel name says TF32 Tensor Core math ('tf32', or cuBLAS/cuDNN "
             "'s1688' / 's16816' in the tactic name): its tensors are FP32, its multiplies round inputs to TF32 "
             "(10-bit mantissa) on Tensor Cores; 'FP32' alone where the kernel name does not say so (e.g. "
             "'scudnn' / 'sgemm': FP32 on CUDA cores) or there is no kernel name")


@lru_cache(maxsize=4096)
def uses_tf32(tactic: str) -> bool:
    """Whether a kernel (tactic) name says TF32 Tensor Core math."""
    return TF32_PATTERN.search(tactic) is not None


def precision_label(precision: Any, tactic: Any) -> Any:
    """``precision`` as diff names it: "FP32 (TF32 Tensor Core math)" for an FP32 layer whose kernel name says
    TF32 Tensor Core math, else ``precision`` unchanged (None, NA or a string)."""
    if precision == "FP32" and isinstance(tactic, str) and tactic and all(map(uses_tf32, tactic.split("/"))):
        return TF32_LABEL      # a group of several layers joins their kernel names with "/": every one says so
    return precision


def group_precision_label(row: Mapping[Any, Any], side: str) -> Any:
    """The compute precision of side ``side`` ("a" / "b") of a diff group (a ``DIFF_GROUPS`` row: its
    ``{side}_precision`` and ``{side}_tactic``) as diff names it (:func:`precision_label`). The one rule every
    view of a diff reads: the text, Markdown and HTML tables, the HTML precision-change chart and the web Diff
    page."""
    return precision_label(row.get(f"{side}_precision"), row.get(f"{side}_tactic"))


def _tf32_rows(precision: pd.Series, tactic: pd.Series) -> np.ndarray:
    """Positions of the rows :func:`precision_label` names :data:`TF32_LABEL` (only FP32 rows are read)."""
    fp32 = np.flatnonzero((precision == "FP32").fillna(False).to_numpy(dtype=bool))
    if not len(fp32):
        return fp32
    tactics = tactic.to_numpy(dtype=object)[fp32].tolist()
    return fp32[np.fromiter((precision_label("FP32", t) == TF32_LABEL for t in tactics), dtype=bool,
                            count=len(tactics))]


def add_math_facts(groups: pd.DataFrame) -> bool:
    """Set the :data:`MATH_A` / :data:`MATH_B` facts of ``groups`` (from ``a/b_precision`` and ``a/b_tactic``);
    whether any group has one."""
    found = False
    for side, col in (("a", MATH_A), ("b", MATH_B)):
        facts = np.full(len(groups), None, dtype=object)
        if f"{side}_tactic" in groups:
            rows = _tf32_rows(groups[f"{side}_precision"], groups[f"{side}_tactic"])
            facts[rows] = TF32_LABEL
            found = found or bool(len(rows))
        groups[col] = facts
    return found


def precision_keys(layer_times: pd.DataFrame) -> pd.Series:
    """The time-by-precision key of each layer: its precision, :data:`TF32_LABEL` where its kernel says so."""
    key = layer_times["precision"]
    if "tactic_name" not in layer_times:
        return key
    rows = _tf32_rows(key, layer_times["tactic_name"])
    if not len(rows):
        return key
    key = key.astype(object).copy()
    key.iloc[rows] = TF32_LABEL
    return key
