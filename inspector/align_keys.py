"""Export conventions that rename ONNX nodes without changing the network (pure functions, no I/O).

Two exports of one network can name the same node differently. The rules below, declared once as data, give
each source-node name an *alias*: the name the node would have in the plain (unquantized) export. The aligner
links two layers that share a name **or** an alias, so a quantized export lines up with its float twin.

* TensorFlow QAT (TensorFlow Model Optimization, NVIDIA's TF2 quantization toolkit) wraps layer ``X`` as
  ``quant_X``: ``resnet50/quant_conv2_block1_1_conv/Conv2D`` is ``resnet50/conv2_block1_1_conv/Conv2D``.
* Quantizer helper nodes (``.../LastValueQuant/QuantizeAndDequantizeV4/ReadVariableOp:0``,
  ``/conv1/_input_quantizer/QuantizeLinear``) have no counterpart in a float export: they get no alias.

A rule never pairs layers on its own: an alias links only when the other export holds that exact name.
"""

from __future__ import annotations

import functools
import re

__all__ = ["WRAPPER_PREFIXES", "alias"]

# Path components that a quantization toolkit prefixes to the wrapped layer's own name.
WRAPPER_PREFIXES: tuple[str, ...] = ("quant_", "quantized_")

# A path component that belongs to a quantizer, not to the network's own ops.
_QUANT_HELPER = re.compile(r"(?i)quantiz|dequantiz|quantlinear|lastvaluequant|movingavgquant|readvariableop")


@functools.lru_cache(maxsize=65536)
def alias(key: str) -> str | None:
    """The plain-export name of a source node, or None when it is the same name or a quantizer helper."""
    if "/" not in key:
        return None
    parts = key.split("/")
    changed = False
    for n, part in enumerate(parts):
        for prefix in WRAPPER_PREFIXES:
            if part.startswith(prefix) and len(part) > len(prefix):
                parts[n] = part[len(prefix):]
                changed = True
                break
    if not changed or any(_QUANT_HELPER.search(p) for p in parts):
        return None
    return "/".join(parts)
