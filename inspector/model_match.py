"""Are two engines the same network? And what else differs between their builds and runs? (pure)

``diff`` answers "why is B slower than A" only for two builds of one network. Two *different* networks
(a batch-1 MobileNet and a batch-32 ResNet-50) share no structure, and any layer-by-layer account of them is
fiction, so :func:`model_match` measures how much structure they share:

**structural similarity** = 2 x (layers paired by a longest-common-subsequence alignment of the two engines'
compute layers in execution order) / (compute layers of A + compute layers of B), where a layer's token is
its parameter type with the channel dimension of each input and output tensor (``Convolution 64->256``).
Reformat and no-op layers are left out (a precision change adds and removes them); spatial and batch
dimensions are left out (the same network at another resolution or batch size is still the same network).
With names only (no tensor shapes) the token is the op kind alone, and the similarity is weaker evidence.

Measured on the real engines in the tests: same network built or exported differently 0.67-1.00
(ResNet-18 FP32/QAT/QAT-residual on an A100, ResNet-50 FP16/QAT on an RTX 3090, MobileNet-v2 QAT variants,
CenterNet fx vs implicit INT8); different networks 0.00-0.24 (MobileNet vs ResNet-50, ResNet-18 vs
ResNet-50). :data:`SAME_MODEL_MIN` sits between them.

The build and run context that may legitimately differ (GPU, TensorRT version, input shapes, build
precision) is listed in :attr:`ModelMatch.context`, so a diff can say it first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trtinspect.inspector.align import LCS_MAX_CELLS, _opcodes
from trtinspect.inspector.align_side import _read_side, _shapes, _Side, primary_op
from trtinspect.inspector.check_inputs import BUILD_CHANGES, COMPARABILITY, shapes_placeholder

if TYPE_CHECKING:
    from trtinspect.parsers.model import EngineBundle

__all__ = ["SAME_MODEL_MIN", "ModelMatch", "model_match", "source_similarity", "structural_similarity",
           "windowed_similarity"]

SAME_MODEL_MIN = 0.5

_SKIP_TYPES = frozenset({"Reformat", "NoOp"})


def _token(side: _Side, i: int, detailed: bool) -> tuple[Any, ...]:
    if not detailed:                     # names only on one side: the op kind is all both sides share
        return (primary_op(side.ops(i)) or "?",)
    ins, outs = side.tensor_shapes()
    ci = tuple(s[:1] for s in ins[i])
    co = tuple(s[:1] for s in outs[i])
    return (side.ptype[i] or "?", ci, co)


def _has_shapes(side: _Side) -> bool:
    ins, outs = side.io()
    return any(_shapes(ins[i]) or _shapes(outs[i]) for i in range(len(side)))


def _tokens(side: _Side, detailed: bool) -> list[tuple[Any, ...]]:
    keep = [i for i, (served, ptype) in enumerate(zip(side.served, side.ptype, strict=True))
            if served is None and ptype not in _SKIP_TYPES]
    if not detailed:
        return [_token(side, i, detailed) for i in keep]
    ins, outs = side.tensor_shapes()
    ptypes = side.ptype              # _token's detailed token, inlined
    return [(ptypes[i] or "?", tuple([s[:1] for s in ins[i]]), tuple([s[:1] for s in outs[i]])) for i in keep]


def structural_similarity(a_layers: Any, b_layers: Any, sides: tuple[_Side, _Side] | None = None) -> float:
    """Share of compute layers the two engines have in common, in order (0..1; see the module doc), or, when
    that is under :data:`SAME_MODEL_MIN`, the share that shares an ONNX source node with a layer of the other
    engine (:func:`source_similarity`), whichever is larger.
    ``sides``: the frames' facts already read (``align.read_sides``), shared with the alignment."""
    sa, sb = sides or (_read_side(a_layers, "A"), _read_side(b_layers, "B"))
    detailed = _has_shapes(sa) and _has_shapes(sb)
    ta, tb = _tokens(sa, detailed), _tokens(sb, detailed)
    if not ta and not tb:
        return 0.0
    if len(ta) * len(tb) > LCS_MAX_CELLS:
        sim = windowed_similarity(ta, tb)
    else:
        sim = 2.0 * sum(i2 - i1 for tag, i1, i2, _, _ in _opcodes(ta, tb) if tag == "equal") / (len(ta) + len(tb))
    if sim < SAME_MODEL_MIN and detailed:
        sim = max(sim, source_similarity(sa, sb))
    return sim


def _compute(side: _Side) -> list[int]:
    return [i for i, (served, ptype) in enumerate(zip(side.served, side.ptype, strict=True))
            if served is None and ptype not in _SKIP_TYPES]


def source_similarity(sa: _Side, sb: _Side) -> float:
    """(compute layers of A sharing an ONNX source node with a compute layer of B that reads and writes the
    same channel counts + the same of B) / (compute layers of A + of B). One network's builds keep its node
    names where TensorRT builds the layers as other types: TensorRT 10.16's FP32 build of ``model-trained.onnx``
    runs ``node_conv2d + node_relu`` as a CaskConvolution, its ``--fp16 --noTF32`` build as a Myelin
    ``{ForeignNode[node_conv2d...node_relu]}`` (no parameter type), which the structural tokens count as
    different layers (0%; by source nodes 57%). The channel check keeps two networks of one exporter apart
    (``Conv_0`` is the first convolution of every torch ResNet, ``Conv_7`` is not the same layer in two)."""
    keep_a, keep_b = _compute(sa), _compute(sb)
    if not keep_a or not keep_b:
        return 0.0
    (ins_a, outs_a), (ins_b, outs_b) = sa.tensor_shapes(), sb.tensor_shapes()
    by_key: dict[str, list[int]] = {}
    for j in keep_b:
        for k in sb.keys[j]:
            by_key.setdefault(k, []).append(j)
    hit_a: set[int] = set()
    hit_b: set[int] = set()
    for i in keep_a:
        chans = (tuple(s[:1] for s in ins_a[i]), tuple(s[:1] for s in outs_a[i]))
        for k in sa.keys[i]:
            for j in by_key.get(k, ()):
                if chans == (tuple(s[:1] for s in ins_b[j]), tuple(s[:1] for s in outs_b[j])):
                    hit_a.add(i)
                    hit_b.add(j)
    return (len(hit_a) + len(hit_b)) / (len(keep_a) + len(keep_b))


# Big engines (tens of thousands of compute layers, a few distinct tokens): an exact LCS is O(n*m), and
# difflib's longest-block search degrades to that too on such repetitive sequences (over 20 minutes for two
# 50,000-layer engines), so above LCS_MAX_CELLS the layers in order are compared window by window.
WINDOW_TOKENS = 512


def windowed_similarity(ta: Sequence[Any], tb: Sequence[Any]) -> float:
    """2 x (tokens the two engines share within each proportional window, in order) / (tokens of A + tokens of
    B), windows of at least WINDOW_TOKENS tokens of the shorter side. Linear time; like the LCS measure it is
    1.0 for identical sequences and 0.0 for sequences sharing no token, and layers that match only far out
    of order do not count (within a window order is not checked, so it can read higher than the LCS)."""
    na, nb = len(ta), len(tb)
    if not na or not nb:
        return 0.0
    windows = max(1, min(na, nb) // WINDOW_TOKENS)
    index: dict[Any, int] = {}
    codes_a = np.fromiter((index.setdefault(t, len(index)) for t in ta), dtype=np.int64, count=na)
    codes_b = np.fromiter((index.setdefault(t, len(index)) for t in tb), dtype=np.int64, count=nb)
    k = len(index)
    # each window's count of each token on each side; the shared tokens of a window are the smaller counts
    # (Counter's &), summed over tokens and windows
    counts_a = np.bincount(_window_of(na, windows) * k + codes_a, minlength=windows * k)
    counts_b = np.bincount(_window_of(nb, windows) * k + codes_b, minlength=windows * k)
    shared = int(np.minimum(counts_a, counts_b).sum())
    return 2.0 * shared / (na + nb)


def _window_of(n: int, windows: int) -> np.ndarray:
    """Window of each position: window w holds positions n*w//windows up to n*(w+1)//windows."""
    starts = np.array([n * w // windows for w in range(windows)], dtype=np.int64)
    return np.searchsorted(starts, np.arange(n, dtype=np.int64), side="right") - 1


@dataclass
class ModelMatch:
    similarity: float
    same_model: bool
    context: list[str] = field(default_factory=list)   # environment: "GPU: TITAN RTX -> RTX 3090", ...
    build: list[str] = field(default_factory=list)     # the engine's own: "build precision changed: A -> B"

    def reason(self) -> str:
        return (f"only {self.similarity:.0%} of their compute layers line up (same network: >= "
                f"{SAME_MODEL_MIN:.0%})")


def _context_fields() -> dict[str, Callable[[EngineBundle], Any]]:
    return {**COMPARABILITY, **BUILD_CHANGES}    # one definition of the build and run fields, shared with check


# Fields that belong to the engine under test (a lost --fp16 is the change, not the setup).
BUILD_FIELDS = frozenset({"precision"})

_FIELD_LABELS = {"gpu": "GPU", "trt_version": "TensorRT", "input_shapes": "input shapes",
                 "precision": "build precision", "clocks": "clocks", "cuda_graph": "CUDA graph",
                 "spin_wait": "spin-wait", "streams": "inference streams", "threads": "threads",
                 "data_transfers": "data transfers", "profiling": "per-layer profiler",
                 "expose_dma": "exposed DMA (--exposeDMA)", "sleep_time": "sleep time (--sleepTime)",
                 "idle_time": "idle time (--idleTime)",
                 "persistent_cache_ratio": "persistent L2 cache ratio (--persistentCacheRatio)",
                 "optimization_profile": "optimization profile (--useProfile)",
                 "weight_streaming": "weight-streaming budget (--weightStreamingBudget)"}


def model_match(a: EngineBundle, b: EngineBundle, sides: tuple[_Side, _Side] | None = None) -> ModelMatch:
    """Similarity of A and B, whether they look like one network, and what differs in their context."""
    sim = structural_similarity(a.layers, b.layers, sides)
    context: list[str] = []
    build: list[str] = []
    for name, get in _context_fields().items():
        try:
            va, vb = get(a), get(b)
        except (KeyError, TypeError, ValueError):
            continue
        if va is not None and vb is not None and va != vb:
            label = _FIELD_LABELS.get(name, name)
            (build if name in BUILD_FIELDS else context).append(f"{label} changed: {va} -> {vb}" if name in
                                                                BUILD_FIELDS else f"{label}: {va} -> {vb}")
    shapes = (_shapes_or_unknown(a), _shapes_or_unknown(b))
    if "unknown" in shapes and shapes[0] != shapes[1] and None not in shapes:  # one side only a placeholder
        context.append(f"input shapes: {shapes[0]} -> {shapes[1]}")
    return ModelMatch(similarity=sim, same_model=sim >= SAME_MODEL_MIN, context=context, build=build)


def _shapes_or_unknown(b: EngineBundle) -> str | None:
    """The recorded input shapes, ``unknown`` where the run recorded only a placeholder (TREx: ``model``),
    else None (not recorded at all)."""
    shapes = COMPARABILITY["input_shapes"](b)
    return "unknown" if shapes is None and shapes_placeholder(b) else shapes
