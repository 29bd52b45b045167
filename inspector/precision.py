"""String-level knowledge the lint rules share: precisions, tensor formats, tactic names, ONNX op names.

Everything here is a pure function of strings, declared as tables where possible so a new TensorRT
naming convention is one entry, not a code change. Used by ``trtinspect.inspector.rules_*``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# --- precisions -------------------------------------------------------------------------------------

# Lower-cased dtype / format tokens -> canonical precision. Checked in order (longest, most specific first).
_PRECISION_TOKENS: tuple[tuple[str, str], ...] = (
    ("bfloat16", "BF16"),
    ("bf16", "BF16"),
    ("tf32", "TF32"),
    ("fp32", "FP32"),
    ("float32", "FP32"),
    ("float", "FP32"),
    ("fp16", "FP16"),
    ("float16", "FP16"),
    ("half", "FP16"),
    ("fp8", "FP8"),
    ("e4m3", "FP8"),
    ("int8", "INT8"),
    ("int4", "INT4"),
    ("int32", "INT32"),
    ("int64", "INT64"),
    ("bool", "BOOL"),
    ("uint8", "UINT8"),
)
_CANONICAL = {"FP32", "TF32", "FP16", "BF16", "FP8", "INT8", "INT4", "INT32", "INT64", "BOOL", "UINT8"}

FLOAT_PRECISIONS = frozenset({"FP32", "TF32", "FP16", "BF16"})
QUANTIZED_PRECISIONS = frozenset({"INT8", "FP8", "INT4"})


@lru_cache(maxsize=4096)
def normalize_precision(text: str | None) -> str | None:
    """Canonical precision ("FP32", "FP16", "INT8", ...) named by a dtype or format string, else None."""
    if not text:
        return None
    upper = text.strip().upper()
    if upper in _CANONICAL:
        return upper
    low = text.lower()
    words = re.findall(r"[a-z0-9]+", low)
    for token, canon in _PRECISION_TOKENS:
        if token in words:
            return canon
    # fall back to substrings ("Int8" inside "Row major Int8 format", "FP16" glued to other words)
    for token, canon in _PRECISION_TOKENS:
        if token in low and token not in ("float", "half", "bool"):
            return canon
    return None


def is_float(precision: str | None) -> bool:
    return precision in FLOAT_PRECISIONS


# --- tensor-core requirements ----------------------------------------------------------------------

# Channel multiple a Tensor Core kernel wants for each compute precision (NVIDIA "Deep Learning
# Performance" guide: 8 for FP16, 16 for INT8 (32 for the C/32 vectorised formats), 4 for TF32).
CHANNEL_MULTIPLE: dict[str, int] = {"FP16": 8, "BF16": 8, "INT8": 16, "FP8": 16, "TF32": 4, "FP32": 4}


def padding_waste(channels: int, multiple: int) -> float:
    """Share of Tensor Core work spent on padding when ``channels`` is rounded up to ``multiple``."""
    if channels <= 0 or multiple <= 1:
        return 0.0
    padded = -(-channels // multiple) * multiple
    return 1.0 - channels / padded


# --- tactic names ------------------------------------------------------------------------------------

# Kernel-name tokens of Tensor Core math (cuDNN/cuBLAS/xmma/cutlass naming): hmma/imma/gmma instructions,
# MMA shapes (884, 1688, 16816, i8816...), xmma "tensorMxNxK" tiles, tf32, cutlass "tensorop".
TENSOR_CORE_PATTERN = re.compile(
    r"hmma|imma|gmma|wgmma|qmma|tensorop|tensor\d+x\d+x\d+|tf32|bf16.*tensor|"
    r"[hsi]884|[hsi]1688|[hsi]16816|i8816|i16832|_884|1688gemm|16816gemm|16816cudnn|1688cudnn",
    re.IGNORECASE,
)
# Kernel-name tokens of SIMT (CUDA-core) math: fused multiply-add kernels, single-precision cuDNN/cuBLAS,
# dp4a INT8 (int8x4), and the sm50/sm60/sm61 xmma families that predate Tensor Cores.
SIMT_PATTERN = re.compile(
    r"ffma|hfma|scudnn|sgemm|dp4a|int8x4|icudnn|fp32_icudnn|sm5\d_xmma_conv|sm6\d_xmma_conv|"
    r"sm5\d_xmma_fprop|sm6\d_xmma_fprop|_fp32_nchw_fp32",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def tactic_class(tactic_name: str | None) -> str:
    """ "tensor_core", "simt" or "unknown" from a tactic (kernel) name."""
    if not tactic_name:
        return "unknown"
    if TENSOR_CORE_PATTERN.search(tactic_name):
        return "tensor_core"
    if SIMT_PATTERN.search(tactic_name):
        return "simt"
    return "unknown"


# --- ONNX / TensorRT op names --------------------------------------------------------------------------

# Normalised op token -> op kind. Tokens are lower-cased, path prefixes ("/layer1/conv1/") and trailing
# indices ("_12", "-3", ".4") removed, so "Conv_9", "conv2d_109", "/stem/Conv", "node_conv2d_1" -> conv.
OP_KINDS: dict[str, str] = {
    **dict.fromkeys(("conv", "conv1d", "conv2d", "conv3d", "convolution", "_convolution"), "conv"),
    **dict.fromkeys(
        (
            "convtranspose",
            "conv_transpose",
            "conv_transpose1d",
            "conv_transpose2d",
            "conv_transpose3d",
            "deconv",
            "deconvolution",
        ),
        "deconv",
    ),
    **dict.fromkeys(
        (
            "gemm",
            "matmul",
            "linear",
            "fc",
            "fully_connected",
            "fullyconnected",
            "addmm",
            "mm",
            "bmm",
            "matrix multiply",
            "matrixmultiply",
        ),
        "gemm",
    ),
    **dict.fromkeys(("add", "add_", "iadd", "sum", "elementwise", "eltwise", "residual_add"), "add"),
    **dict.fromkeys(
        (
            "relu",
            "relu_",
            "relu6",
            "leakyrelu",
            "leaky_relu",
            "prelu",
            "sigmoid",
            "tanh",
            "clip",
            "hardswish",
            "hardsigmoid",
            "hard_swish",
            "hard_sigmoid",
            "silu",
            "swish",
            "gelu",
            "elu",
            "selu",
            "softplus",
            "mish",
            "hardtanh",
            "activation",
            "thresholdedrelu",
        ),
        "act",
    ),
    **dict.fromkeys(("batchnormalization", "batch_norm", "batchnorm", "batchnorm2d", "bn"), "bn"),
    **dict.fromkeys(("scale",), "scale"),
    **dict.fromkeys(
        (
            "quantizelinear",
            "dequantizelinear",
            "quantize",
            "dequantize",
            "quantize_per_tensor",
            "quantize_per_channel",
            "dequant",
            "quant",
            "fake_quantize",
            "fakequantize",
        ),
        "qdq",
    ),
    **dict.fromkeys(("constant", "initializer", "weight", "bias"), "const"),
    **dict.fromkeys(
        (
            "shape",
            "reshape",
            "shuffle",
            "transpose",
            "flatten",
            "squeeze",
            "unsqueeze",
            "cast",
            "gather",
            "slice",
            "expand",
            "identity",
            "view",
            "permute",
            "copy",
            "resize_shape",
            "concat",
            "concatenation",
            "split",
            "tile",
            "constantofshape",
            "range",
            "pad",
        ),
        "shape",
    ),
    **dict.fromkeys(
        (
            "maxpool",
            "averagepool",
            "globalaveragepool",
            "globalmaxpool",
            "max_pool2d",
            "avg_pool2d",
            "adaptive_avg_pool2d",
            "pooling",
            "pool",
            "maxpool2d",
            "avgpool",
        ),
        "pool",
    ),
}
# Prefixes of normalised tokens that name a shape-only op ("reshape_before_matmul", "copied_squeeze_after_").
_SHAPE_PREFIXES = (
    "reshape",
    "copied_squeeze",
    "squeeze",
    "unsqueeze",
    "transpose",
    "flatten",
    "shuffle",
    "cast",
)
_UNNAMED = re.compile(r"\(Unnamed Layer\*\s*\d+\)\s*\[([^\]]+)\]")
# A trailing index such as "_12", "_1.2", ":0": optional separator + digits, then (separator + digits)*.
# Written without nested repetition: ``([_\-.:]?\d+)+$`` matches the same suffixes but backtracks
# exponentially in a digit run that is not at the end ("Conv_3009 [b3]").
_TRAILING_INDEX = re.compile(r"[_\-.:]?\d+(?:[_\-.:]\d+)*$")
_QDQ_WORDS = re.compile(r"quantize|dequant|_quant\b|quant_", re.IGNORECASE)
# TensorRT layer-type words in "(Unnamed Layer* N) [Type]" names.
_UNNAMED_KINDS: dict[str, str] = {
    "convolution": "conv",
    "deconvolution": "deconv",
    "fully connected": "gemm",
    "matrix multiply": "gemm",
    "elementwise": "add",
    "activation": "act",
    "scale": "scale",
    "shuffle": "shape",
    "constant": "const",
    "quantize": "qdq",
    "dequantize": "qdq",
    "pooling": "pool",
    "identity": "shape",
    "slice": "shape",
    "concatenation": "shape",
    "gather": "shape",
    "cast": "shape",
    "shape": "shape",
}
# Myelin kernel names: "__myl_CastReshCast_myl5_6" -> CamelCase abbreviations of the ops inside.
_MYELIN = re.compile(r"^__myl_([A-Za-z]+)_myl")
_MYELIN_SHAPE_WORDS = frozenset(
    {"Resh", "Cast", "Tran", "Slic", "Gath", "Conc", "Copy", "Shuf", "Move", "Squ"}
)


def strip_block_suffix(text: str) -> str:
    """``text`` without its trailing block suffixes: `` [b3]`` / `` (b3)`` groups after a space, holding no
    bracket (``Conv_3009 [b3]`` -> ``Conv_3009``; ``PWN(Add_5)`` and ``(Unnamed Layer* 2) [Shuffle]`` keep
    theirs: no space before, or nothing left before it). ``text`` itself when it has none."""
    out = text
    while out and out[-1] in ")]":
        i = out.rfind("(" if out[-1] == ")" else "[")
        if i <= 0 or not out[i - 1].isspace() or any(c in "[]()" for c in out[i + 1 : -1]):
            break
        core = out[:i].rstrip()
        if not core:
            break
        out = core
    return out


# Runs of two or more ASCII digits. No rule of op_kind depends on such a run's value or length (its
# patterns see "a digit run"; the digit-bearing op words are single digits: conv2d, relu6), so names that
# differ only there ("Conv_3009 [b3]", "Conv_4009 [b4]"... the node numbers of 50,000-layer engines) share
# one cache entry: tests/test_fast_paths.py checks the kind is unchanged.
_DIGIT_RUN = re.compile(r"[0-9]{2,}")


def op_kind(node: str) -> str:
    """Kind of one source node / op name.

    One of conv, deconv, gemm, add, act, bn, scale, qdq, const, shape, pool, other.
    """
    return _op_kind(_DIGIT_RUN.sub("00", node))


_SEP = "\x00"  # joins names for the one-pass scans below (op_kinds falls back when a name holds it)


def op_kinds(nodes: Sequence[str]) -> list[str]:
    """``[op_kind(x) for x in nodes]``: the digit runs of all nodes replaced in one pass over their joined
    text, then each distinct normalised node classified once (50,000-layer engines: 135,000 nodes, a few
    hundred distinct)."""
    if not nodes:
        return []
    parts = _DIGIT_RUN.sub("00", _SEP.join(nodes)).split(_SEP)
    if len(parts) != len(nodes):  # a node holding the separator: one at a time
        return [op_kind(x) for x in nodes]
    kinds = {x: _op_kind(x) for x in set(parts)}
    return list(map(kinds.__getitem__, parts))


@lru_cache(maxsize=65536)
def _op_kind(node: str) -> str:
    text = node.strip()
    if not text:
        return "other"
    low = text.lower()
    if low.endswith((".weight", ".bias", "_weight", "_bias")):
        return "const"
    # each regex below runs only where the substring it needs is present (same result, a fraction of the time)
    m = _UNNAMED.search(text) if "(Unnamed Layer*" in text else None
    if m:
        kind = _UNNAMED_KINDS.get(m.group(1).strip().lower())
        if kind == "const" and _QDQ_WORDS.search(text):
            return "qdq"
        if kind:
            return kind
    my = _MYELIN.match(text) if text.startswith("__myl_") else None
    if my:
        words = re.findall(r"[A-Z][a-z]*", my.group(1))
        if words and all(w in _MYELIN_SHAPE_WORDS for w in words):
            return "shape"
        return "other"
    if text[-1] in ")]":  # a block suffix exporters add to repeated blocks: "Conv_3009 [b3]", "fc.bias (b2)"
        core = strip_block_suffix(text)
        if core is not text:
            low = core.lower()
            if low.endswith((".weight", ".bias", "_weight", "_bias")):
                return "const"
    if "quant" in low and _QDQ_WORDS.search(low):
        return "qdq"
    token = low.rsplit("/", 1)[-1]
    if token.startswith("node_"):
        token = token[5:]
    if token[-1:].isdigit():
        token = _TRAILING_INDEX.sub("", token)
    kind = OP_KINDS.get(token)
    if kind:
        return kind
    if token.startswith(_SHAPE_PREFIXES):
        return "shape"
    return "other"


COMPUTE_KINDS = frozenset({"conv", "deconv", "gemm"})
EPILOGUE_KINDS = frozenset({"add", "act", "bn", "scale"})


_REFORMAT_NAME = re.compile(r"^Reformatting CopyNode for (Input|Output) Tensor (\d+) to (.+)$", re.DOTALL)


_REFORMATTER_NAME = re.compile(r"^(.+) (input|output) reformatter (\d+)$", re.DOTALL)   # TensorRT 7


def reformat_target(name: str) -> tuple[str, int, str] | None:
    """("input"|"output", tensor index, served layer name) from a "Reformatting CopyNode for ..." name or a
    TensorRT 7 "<layer> input reformatter <i>" name."""
    m = _REFORMAT_NAME.match(name)
    if m:
        return m.group(1).lower(), int(m.group(2)), m.group(3)
    m = _REFORMATTER_NAME.match(name)
    return (m.group(2), int(m.group(3)), m.group(1)) if m else None


def is_reformat_name(name: str) -> bool:
    low = name.lower()
    return low.startswith("reformatting copynode") or "reformatter" in low


_REFORMAT_WORDS = re.compile("reformatting copynode|reformatter")


def reformat_name_rows(names: Sequence[str]) -> list[int]:
    """Positions of the names :func:`is_reformat_name` accepts, in order: the joined ASCII names are
    scanned once for its words and only the names holding one are checked (non-ASCII names: one at a time,
    as lower-casing may change their length)."""
    joined = _SEP.join(names)
    if not joined.isascii():
        return [i for i, x in enumerate(names) if is_reformat_name(x)]
    found = [m.start() for m in _REFORMAT_WORDS.finditer(joined.lower())]
    if not found:
        return []
    seps = np.flatnonzero(np.frombuffer(joined.encode("ascii"), dtype=np.uint8) == 0)  # ASCII: byte = char
    if len(seps) != len(names) - 1:  # a name holding the separator
        return [i for i, x in enumerate(names) if is_reformat_name(x)]
    hits = dict.fromkeys(np.searchsorted(seps, found).tolist())  # a match's row: the separators before it
    return [i for i in hits if is_reformat_name(names[i])]
