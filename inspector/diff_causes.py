"""diff's root causes: each headline event (inspector.diff_events) belongs to one cause; a cause is said in one
sentence with the effects it prints chosen by size (no effect left out is larger than one printed)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from trtinspect.inspector.diff_events import QDQ_NEXT, QDQ_WITH, _fmt_ms

__all__ = ["CAUSE_TITLES", "MAX_CAUSES", "SAME_MS", "causes"]

SAME_MS = 0.0005      # below this a difference prints as 0.000 ms: said as "the same", never "(+0.000 ms)"

# Root causes: each headline event belongs to one cause (first matching rule); causes are ranked by the sum
# of their events' deltas. (cause, title)
CAUSE_TITLES: dict[str, str] = {
    "qdq": "Q/DQ placement changed",
    "precision": "Layers run at another precision",
    "fusion": "Fusion changed",
    "structure": "Layers added or removed",
    "kernels": "Kernel choice changed at the same precision (tactics, formats, reformats)",
    "bucket": "Not explained: layers compared only as a bucket of their type",
    "timing": "Same layers and kernels, different measured time",
}
MAX_CAUSES = 3


def _cause_of(event: Mapping[str, Any]) -> str | None:
    kind = event["event"]
    if kind in ("removed", "added", "reformat_moved"):   # a moved reformat: the layers it moved with
        qdq = "standalone quantize" in event["what"] or "standalone dequantize" in event["what"]
        return "qdq" if qdq and not event.get(QDQ_WITH) else "structure"   # with its added layers: structure
    if event.get(QDQ_NEXT):   # a Q/DQ change next to it (or fused into it) altered it: one root cause with it
        return "qdq"
    if kind == "output_precision":
        return "qdq" if "INT8" in (event["a"], event["b"]) else "precision"
    return {"precision": "precision", "fused": "fusion", "split": "fusion", "merged": "fusion",
            "unmerged": "fusion", "repartitioned": "fusion",
            "reformat_removed": "precision", "reformat_added": "precision",   # copies a precision change needs
            "tactic": "kernels", "format": "kernels", "bucket": "bucket", "unchanged": "timing"}.get(kind)


def _cause_title(cause: str, events: Sequence[Mapping[str, Any]]) -> str:
    """The cause in one phrase; for Q/DQ placement, say what it let TensorRT do (write INT8 directly)."""
    if cause == "qdq":      # said the same way in diff B A, mirrored ("no longer", "added")
        # layers, not groups: a group fused ops moved between (diff_moved) holds two that changed
        now_int8 = sum(e["layers"] for e in events if e["event"] == "output_precision" and e["b"] == "INT8")
        not_int8 = sum(e["layers"] for e in events if e["event"] == "output_precision" and e["a"] == "INT8")
        gone = sum(e["count"] for e in events if e["event"] == "removed")
        back = sum(e["count"] for e in events if e["event"] == "added")
        if now_int8 and gone and not (not_int8 and back):
            layers = f"{now_int8} layers now write" if now_int8 != 1 else "1 layer now writes"
            qdq = f"{gone} standalone Q/DQ layers are" if gone != 1 else "1 standalone Q/DQ layer is"
            return f"Q/DQ placement changed: {layers} INT8 directly, so {qdq} gone"
        if not_int8 and back and not (now_int8 and gone):
            layers = f"{not_int8} layers no longer write" if not_int8 != 1 else "1 layer no longer writes"
            qdq = f"{back} standalone Q/DQ layers are" if back != 1 else "1 standalone Q/DQ layer is"
            return f"Q/DQ placement changed: {layers} INT8 directly, so {qdq} added"
    return CAUSE_TITLES[cause]


def _shown_effects(evs: Sequence[Mapping[str, Any]], max_effects: int, untimed: bool) -> tuple[list[str], str]:
    """The sentences a cause prints and what it says of the rest. Effects that round to 0.000 ms are counted,
    not printed as "(+0.000 ms)". Printed: the ``max_effects`` largest by |ms| and every effect flagged
    QDQ_NEXT (what a Q/DQ change did to its neighbours is the point of the cause), and then every effect at
    least as large as the smallest printed one, so no effect left out is larger than one printed (``evs`` come
    largest |ms| first; without per-layer timing most layers first, and the rest is only counted: no sizes)."""
    visible = [e for e in evs if math.isnan(e["delta_ms"]) or abs(e["delta_ms"]) >= SAME_MS]
    picked = [e for i, e in enumerate(visible) if i < max_effects or e.get(QDQ_NEXT)]
    if picked and not untimed:
        smallest = min(abs(e["delta_ms"]) for e in picked)
        picked = [e for e in visible if abs(e["delta_ms"]) >= smallest]
    hidden = [e for e in evs if not any(e is p for p in picked)]
    if not hidden:
        return [e["text"] for e in picked], ""
    n = len(hidden)
    if untimed or not picked:
        return [e["text"] for e in picked], f"; and {n} more change{'s' if n != 1 else ''}"
    largest, smallest = max(abs(e["delta_ms"]) for e in hidden), min(abs(e["delta_ms"]) for e in picked)
    # "smaller than X" only when every hidden one is below X as printed (3 decimals); else the bound they keep
    each = "each " if n != 1 else ""
    bound = (f"{each}smaller than {smallest:.3f} ms" if largest < round(smallest, 3)
             else f"{each}at most {math.ceil(largest * 1000) / 1000:.3f} ms")
    return [e["text"] for e in picked], f"; and {n} more change{'s' if n != 1 else ''}, {bound}"


def causes(events: Sequence[Mapping[str, Any]], max_effects: int = 3) -> list[dict[str, Any]]:
    """Events grouped by root cause, largest |delta| first: ``cause``, ``title``, ``delta_ms``, ``effects``
    (the events' sentences, largest first), ``text`` (one sentence)."""
    by: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for e in events:
        c = _cause_of(e)
        if c is not None:
            by[c].append(e)
    out: list[dict[str, Any]] = []
    for c, evs in by.items():
        deltas = [e["delta_ms"] for e in evs]
        d = math.nan if any(math.isnan(x) for x in deltas) else math.fsum(deltas)
        effects = [e["text"] for e in evs]
        shown, more = _shown_effects(evs, max_effects, math.isnan(d))
        ms = "" if math.isnan(d) else f" ({_fmt_ms(d)})"
        title = _cause_title(c, evs)
        out.append({"cause": c, "title": title, "delta_ms": d, "effects": effects,
                    "text": f"{title}{ms}: {'; '.join(shown)}{more}" if shown else f"{title}{ms}"})
    out.sort(key=lambda x: (-abs(x["delta_ms"]) if not math.isnan(x["delta_ms"]) else 0.0,
                            -len(x["effects"])))
    return out
