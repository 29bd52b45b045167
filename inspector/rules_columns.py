"""Per-row columns of a :class:`~trtinspect.inspector.rules_base.LintContext` and the decisions made on them
once per distinct value: the layer-type families rules classify by, string columns as shared ``str`` lists
with their factorized codes, and the type-level verdicts (Q/DQ, convolution, epilogue, shape layer) tabulated
over the combinations of the type columns' distinct values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

# Layer types that launch nothing (TensorRT elides them); their time is zero by construction.
NOOP_TYPES = frozenset({"NoOp", "Constant", "Identity", "TrainStation", "signal", "wait", "shape_call"})
CONV_PARAMETER_TYPES = frozenset({"Convolution", "Deconvolution", "FullyConnected", "MatrixMultiply", "Gemm"})
CONV_LAYER_TYPES = frozenset(
    {
        "CaskConvolution",
        "CaskDeconvolution",
        "CudnnConvolution",
        "CudnnDeconvolution",
        "Convolution",
        "Deconvolution",
        "CaskGemmConvolution",
        "CaskFullyConnected",
        "FullyConnected",
        "MatrixMultiply",
        "CaskGemmMatrixMultiply",
        "CublasMatrixMultiply",
        "gemm",
    }
)
EPILOGUE_PARAMETER_TYPES = frozenset({"ElementWise", "Activation", "Scale", "PointWise", "PointWiseV2"})
EPILOGUE_LAYER_TYPES = frozenset(
    {
        "ElementWise",
        "Activation",
        "Scale",
        "PointWise",
        "PointWiseV2",
        "CudaElementWise",
        "CudaActivation",
        "CaskElementWise",
        "CudnnActivation",
        "CudnnScale",
        "CaskScale",
    }
)
# Detailed layer types whose role must still be read from the name (a TRT 8.x QuantizeLinear is a Reformat).
NAME_TYPED_LAYERS = frozenset({"Reformat", "NoOp", "Myelin", "kgen", "fusion", "ForeignNode"})
QDQ_TYPES = frozenset({"Quantize", "Dequantize", "QuantizeLinear", "DequantizeLinear"})
SHAPE_PARAMETER_TYPES = frozenset(
    {
        "Shuffle",
        "Cast",
        "Shape",
        "Slice",
        "Gather",
        "Concatenation",
        "Identity",
        "Reshape",
        "Squeeze",
        "Unsqueeze",
        "Resize",
    }
)


def _str_list(col: pd.Series) -> list[str]:
    """A string column as a list of str, NA (and any other non-string) as ""."""
    if isinstance(col.dtype, pd.StringDtype):  # only str and NA in it: NA filled in one numpy pass
        out: list[str] = col.to_numpy(dtype=object, na_value="").tolist()
        return out
    values = col.tolist()
    if set(map(type, values)) <= {str}:  # the usual case, checked at C speed
        return values
    return [x if isinstance(x, str) else "" for x in values]


def _shared_str_list(col: pd.Series) -> list[str]:
    """:func:`_str_list` with equal strings as one object (the parsers give each row its own): the many
    per-row comparisons and lookups rules make on type columns then hash nothing and compare by identity."""
    values = _str_list(col)
    one: dict[str, str] = {}
    return list(map(one.setdefault, values, values))  # each string hashed once, in C


def _objects(col: pd.Series, kind: type, empty: Callable[[], Any]) -> list[Any]:
    """An object column's cells as a list, a cell that is not a ``kind`` (None, NaN) as ``empty()``: the
    list ``tolist`` gives when every cell is one (checked at C speed), else a copy."""
    values = col.tolist()
    if set(map(type, values)) <= {kind}:
        return values
    return [x if isinstance(x, kind) else empty() for x in values]


# Type-level decisions are tabulated over every combination of the columns' distinct values up to this many
# combinations (a few dozen on real engines); beyond it, over the combinations that occur.
_TABLE_LIMIT = 4096


def _by_codes(
    decide: Callable[..., bool | None], coded: Sequence[tuple[np.ndarray, list[str]]]
) -> tuple[list[bool], list[int]]:
    """``decide(*values)`` of every row, computed once per combination of the columns' distinct values
    (``coded``: each column's factorized codes and distinct values), and the rows it left open (None;
    False in the list until the caller decides them)."""
    shape = tuple(len(values) for _, values in coded)
    if math.prod(shape) <= _TABLE_LIMIT:
        table = np.empty(shape, dtype=np.int8)
        for at in np.ndindex(*shape):
            table[at] = _verdict(decide(*(values[i] for (_, values), i in zip(coded, at, strict=True))))
        verdicts = table[tuple(codes for codes, _ in coded)]
    else:
        key = np.ravel_multi_index(tuple(codes for codes, _ in coded), shape)
        combos, inverse = np.unique(key, return_inverse=True)
        found = np.unravel_index(combos, shape)
        table = np.array([
            _verdict(decide(*(values[int(i)] for (_, values), i in zip(coded, at, strict=True))))
            for at in zip(*found, strict=True)
        ], dtype=np.int8)
        verdicts = table[inverse.reshape(-1)]
    out: list[bool] = (verdicts == 1).tolist()
    return out, np.flatnonzero(verdicts == 2).tolist()


def _verdict(value: bool | None) -> int:
    return 2 if value is None else int(value)


def _codes(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Factorized codes of a str column and its distinct values (cheap on :func:`_shared_str_list` lists:
    one hash per distinct string)."""
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    return codes, uniques.tolist()


def _qdq_by_types(origin: str, layer_type: str, parameter_type: str) -> bool | None:
    """Q/DQ layer by its Origin and types; None: decided by its name and node kinds."""
    if origin.upper() == "QDQ" or layer_type in QDQ_TYPES or parameter_type in QDQ_TYPES:
        return True
    if origin:
        return False  # an Origin other than QDQ (REFORMAT...): not a Q/DQ layer
    if layer_type and layer_type not in NAME_TYPED_LAYERS:
        return False  # a detailed record of a compute layer type (CaskConvolution, ...)
    return None  # a reformat name is not a Q/DQ layer; else only Q/DQ nodes in its name


def _conv_by_types(parameter_type: str, layer_type: str) -> bool | None:
    if parameter_type in CONV_PARAMETER_TYPES or layer_type in CONV_LAYER_TYPES:
        return True
    if parameter_type or layer_type:
        return False
    return None


def _epilogue_by_types(parameter_type: str, layer_type: str) -> bool | None:
    if parameter_type in EPILOGUE_PARAMETER_TYPES or layer_type in EPILOGUE_LAYER_TYPES:
        return True
    if parameter_type and parameter_type not in EPILOGUE_PARAMETER_TYPES:
        return False
    return None


def _shape_by_types(parameter_type: str, layer_type: str) -> bool | None:
    if parameter_type in SHAPE_PARAMETER_TYPES or layer_type in SHAPE_PARAMETER_TYPES:
        return True
    if parameter_type or layer_type not in ("", "Myelin", "kgen", "fusion"):
        return False
    return None
