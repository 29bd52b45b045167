"""Tensor format and datatype strings of engine layer information -> precision and layout.

TensorRT writes formats in several eras: 8.x descriptive strings ("Row major linear FP32", "Four wide channel
vectorized row major Int8 format"), 10.x plain datatypes ("Half") and log shape forms ("Half[-1,32:8,14,14]").
Every mapping is declared as data here; see docs/engine-layer-json.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# ---- Data: tensor formats and datatypes ------------------------------------------------------------------

# Datatype words found in "Format/Datatype" strings (TRT 8.x descriptive form, e.g. "Row major linear FP32",
# and TRT 10.x plain form, e.g. "Half") and in Weights/Bias "Type" -> canonical precision.
DATATYPE_WORDS: dict[str, str] = {
    "fp32": "FP32", "float": "FP32", "float32": "FP32",
    "fp16": "FP16", "half": "FP16", "float16": "FP16",
    "bf16": "BF16", "bfloat16": "BF16",
    "fp8": "FP8", "fp8e4m3": "FP8", "e4m3": "FP8", "fp8e5m2": "FP8", "e5m2": "FP8",
    "fp4": "FP4", "fp4e2m1": "FP4", "e2m1": "FP4",
    "e8m0": "E8M0",
    "int4": "INT4",
    "int8": "INT8",
    "uint8": "UINT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "bool": "BOOL",
    "double": "FP64", "fp64": "FP64",
}

# Bits per element of each canonical precision (weights_bytes, tensor sizes).
PRECISION_BITS: dict[str, int] = {
    "FP64": 64, "FP32": 32, "FP16": 16, "BF16": 16, "FP8": 8, "FP4": 4, "E8M0": 8,
    "INT64": 64, "INT32": 32, "INT16": 16, "INT8": 8, "UINT8": 8, "INT4": 4, "BOOL": 8,
}

# Precisions of tensors that carry indices, shapes or masks rather than the layer's numeric payload;
# they are skipped when choosing the "main input" of a layer.
INDEX_LIKE_PRECISIONS: frozenset[str] = frozenset({"INT32", "INT64", "BOOL"})

# nvinfer1::TensorFormat enum names (as in a "(kHWC8)" tag) -> layout label used in this package.
TENSOR_FORMAT_LAYOUTS: dict[str, str] = {
    "kLINEAR": "NCHW",
    "kCHW2": "NC/2HW2",
    "kHWC8": "NHWC8",
    "kCHW4": "NC/4HW4",
    "kCHW16": "NC/16HW16",
    "kCHW32": "NC/32HW32",
    "kDHWC8": "NDHWC8",
    "kCDHW32": "NC/32DHW32",
    "kHWC": "NHWC",
    "kDLA_LINEAR": "DLA_LINEAR",
    "kDLA_HWC4": "DLA_HWC4",
    "kHWC16": "NHWC16",
    "kDHWC": "NDHWC",
}

# Number words of "<N> wide channel vectorized row major ..." descriptions.
VECTOR_WORDS: dict[str, int] = {"two": 2, "four": 4, "eight": 8, "sixteen": 16, "thirty-two": 32}

# Layout rules for TensorRT's descriptive format strings, tried in order on the lower-cased string.
# Each: (regex, layout template); "{n}" is the first group, "{d}" is "D" when the string says
# "with 3 spatial dimensions". The TensorFormat these correspond to is in docs/engine-layer-json.md.
LAYOUT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"([a-z-]+) wide channel vectorized"), "NC/{n}{d}HW{n}"),       # kCHW2/4/16/32, kCDHW32
    (re.compile(r"channel major .*column stride"), "DLA_HWC4"),                  # kDLA_HWC4
    (re.compile(r"row major .*column stride"), "DLA_LINEAR"),                    # kDLA_LINEAR
    (re.compile(r"channel major .*channel % (\d+) == 0"), "N{d}HWC{n}"),          # kHWC8, kHWC16, kDHWC8
    (re.compile(r"channel major"), "N{d}HWC"),                                   # kHWC, kDHWC
    (re.compile(r"row major"), "NCHW"),                                          # kLINEAR
]

_DATATYPE_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(DATATYPE_WORDS, key=len, reverse=True)) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ENUM_TAG_RE = re.compile(r"\((k[A-Z0-9_]+)\)")
# "Half[-1,32:8,14,14]" (TRT 10 verbose log) and "Half(1,64:8,56,56)" (TRT 8 verbose log): word + shape.
_SHAPE_FORM_RE = re.compile(r"^\s*([A-Za-z0-9]+)\s*[\[(]([^\])]*)[\])]\s*$")
_VECTOR_DIM_RE = re.compile(r":(\d+)")


@lru_cache(maxsize=4096)
def format_precision(fmt: str) -> tuple[str | None, str | None]:
    """``(precision, layout)`` of a TensorRT "Format/Datatype" string; ``None`` for what it does not say.

    >>> format_precision("Thirty-two wide channel vectorized row major Int8 format")
    ('INT8', 'NC/32HW32')
    >>> format_precision("Channel major FP16 format where channel % 8 == 0")
    ('FP16', 'NHWC8')
    >>> format_precision("Half")   # TRT 10 / Myelin plain datatype: layout not stated
    ('FP16', None)
    """
    if not isinstance(fmt, str) or not fmt.strip():
        return None, None
    text = fmt.strip()
    plain = DATATYPE_WORDS.get(text.lower())
    if plain is not None:
        return plain, None
    shape_form = _SHAPE_FORM_RE.match(text)
    if shape_form is not None and shape_form.group(1).lower() in DATATYPE_WORDS:
        vec = _VECTOR_DIM_RE.search(shape_form.group(2))
        layout = f"vectorized-{vec.group(1)}" if vec else None
        return DATATYPE_WORDS[shape_form.group(1).lower()], layout
    match = _DATATYPE_RE.search(text)
    precision = DATATYPE_WORDS[match.group(1).lower()] if match else None
    tag = _ENUM_TAG_RE.search(text)
    if tag is not None and tag.group(1) in TENSOR_FORMAT_LAYOUTS:
        return precision, TENSOR_FORMAT_LAYOUTS[tag.group(1)]
    low = text.lower()
    three_d = "D" if "3 spatial dimensions" in low else ""
    for pattern, template in LAYOUT_RULES:
        m = pattern.search(low)
        if m is None:
            continue
        n = m.group(1) if m.groups() else ""
        n = str(VECTOR_WORDS.get(n, n))
        if "{n}" in template and not n.isdigit():
            continue
        return precision, template.format(n=n, d=three_d)
    return precision, None


def is_plain_datatype(fmt: str) -> bool:
    return fmt.strip().lower() in DATATYPE_WORDS


def weight_bytes(blob: Any) -> int | None:
    """Bytes of a ``{"Type": "Int8", "Count": 9408}`` weights/bias blob; ``None`` when not computable."""
    if not isinstance(blob, dict):
        return None
    count = blob.get("Count")
    wtype = blob.get("Type")
    if type(count) is not int or count < 0 or not isinstance(wtype, str):
        return None
    bits = type_bits(wtype)
    if bits is None:
        return None
    return (count * bits + 7) // 8


@lru_cache(maxsize=256)
def type_bits(wtype: str) -> int | None:
    """Bits per element of a weights "Type" ("Int8" -> 8), None when the type names no known precision."""
    precision = format_precision(wtype)[0]
    return PRECISION_BITS.get(precision) if precision else None


# ---- Stored sizes of vectorised formats --------------------------------------------------------------------
# A vectorised format stores the channel dimension padded to its vector width (TensorRT's TensorFormat docs:
# kCHW4/kCHW32/kCDHW32 pad C to a multiple of 4/32, kCHW2/kCHW16 to 2/16, kHWC8/kHWC16/kDHWC8 to 8/16/8), so a
# C=3 tensor in NC/32HW32 takes 32 channels of memory. The vectorised dimension is the channel one:
# nbDims-3 for the 2-D spatial formats, nbDims-4 for the 3-D ones (NC/32DHW32, NDHWC8). Log shape forms
# ("Half[-1,32:8,14,14]", layout "vectorized-8") are taken as 2-D spatial. Other layouts (NCHW, NHWC, DLA
# formats) are counted as their logical size.
_VECTORISED = re.compile(r"^(?:NC/(\d+)(D?)HW\d+|N(D?)HWC(\d+)|vectorized-(\d+))$")


@lru_cache(maxsize=256)
def vector_layout(layout: str) -> tuple[int, int] | None:
    """``(vector width, position of the channel dimension from the end)`` of a vectorised layout label
    (``"NC/32HW32"`` -> ``(32, 3)``, ``"NDHWC8"`` -> ``(8, 4)``), None for a layout stored unpadded."""
    m = _VECTORISED.match(layout) if isinstance(layout, str) else None
    if m is None:
        return None
    width = int(m.group(1) or m.group(4) or m.group(5))
    three_d = bool(m.group(2) or m.group(3))
    return (width, 4 if three_d else 3) if width > 1 else None


def stored_elements(shape: list[int], elements: int, layout: Any) -> int:
    """Elements a tensor of logical ``shape`` (``elements`` = their product) takes in ``layout``: its channel
    dimension rounded up to the vector width of a vectorised format (:func:`vector_layout`), else ``elements``."""
    vec = vector_layout(layout) if isinstance(layout, str) else None
    if vec is None or elements <= 0 or len(shape) < vec[1]:
        return elements
    width, at = vec
    c = shape[-at]
    padded = -(-c // width) * width
    return elements if padded == c else elements // c * padded
