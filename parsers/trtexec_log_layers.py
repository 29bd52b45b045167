"""Layer records printed in trtexec stdout, converted into ``--exportLayerInfo``-shaped dicts.

Two printed forms exist, both found by content:

* the verbose build's ``Engine Layer Information:`` block, one ``Layer(TYPE): NAME, Tactic: 0x..., IN -> OUT``
  line per engine layer, where each tensor is written ``name[Float(1,3,224,224)]`` (TensorRT 8.x) or
  ``name (Half[-1,32:8,14,14])`` (TensorRT 10.x). A dimension ``32:8`` is 32 channels vectorised by 8;
* ``--dumpLayerInfo`` one-line records (``Name: ..., LayerType: ..., Inputs: [ { Name: ..., Dimensions:
  [..], Format/Datatype: .. }], Outputs: [...], ..., TacticValue: 0x..., Metadata: ...``), or bare layer names
  when the engine was built without ``--profilingVerbosity=detailed``.

Names may hold spaces, commas, brackets and `` -> ``; tensors are therefore located by their type/shape
suffix, never by splitting on separators.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

# A ", Tactic: <hex or decimal>" after the layer name; the first occurrence ends the name.
_LAYER_LINE = re.compile(r"^Layer\((?P<type>[^)]*)\): (?P<rest>.*)$")
_TACTIC = re.compile(r", Tactic: (?P<tactic>-?0x[0-9a-fA-F]+|-?\d+)(?:, |$)")
# Tensor suffixes. 10.x: `name (Half[-1,32:8,14,14])`; 8.x: `name[Float(-2,1,28,28)]`.
_SPEC_10 = re.compile(r" \((?P<dt>[A-Za-z][A-Za-z0-9]*)\[(?P<dims>[-0-9:, ]*)\]\)(?=, | -> |$)")
_SPEC_8 = re.compile(r"\[(?P<dt>[A-Za-z][A-Za-z0-9]*)\((?P<dims>[-0-9:, ]*)\)\](?=, | -> |$)")
_ARROW = " -> "

# --dumpLayerInfo one-line records.
_IO_LISTS = re.compile(
    r"Inputs: \[(?P<inputs>\s*|.*?\}\s*)\], Outputs: \[(?P<outputs>\s*|.*?\}\s*)\]"
    r"(?=, [A-Z][\w/]*:(?: |$)|\s*$)"
)
_TENSOR_OBJ = re.compile(
    r"\{ Name: (?P<name>.*?)(?:, Location: (?P<loc>[^,]*))?, Dimensions: \[(?P<dims>[-0-9:, ]*)\]"
    r", Format/Datatype: (?P<fmt>.*?) \}(?=, \{ Name: |\s*$)"
)
_KEY_SPLIT = re.compile(r", (?=[A-Z][A-Za-z0-9/]*:(?: |$))")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d*(?:[eE][-+]?\d+)?$")


def parse_dims(text: str) -> tuple[list[int], bool]:
    """``"-1,32:8,14,14"`` -> ``([-1, 32, 14, 14], True)`` (True: a dim is vectorised); ValueError on junk."""
    text = text.strip()
    if not text:
        return [], False
    dims: list[int] = []
    vectorized = False
    for part in text.split(","):
        size, sep, factor = part.strip().partition(":")
        dims.append(int(size))
        if sep:
            int(factor)
            vectorized = True
    return dims, vectorized


def _tensor(name: str, dtype: str, dims_text: str, printed: str | None = None) -> dict[str, Any]:
    """Tensor dict. ``Dimensions`` are plain ints; a vectorised tensor keeps its printed type+shape
    (``"Half[-1,32:8,14,14]"``) as ``Format/Datatype`` so the factor and its dimension are not lost (the log
    does not say whether that is a channel-major HWC8 or a channel-vectorised CHW8 layout)."""
    dims, vectorized = parse_dims(dims_text)
    fmt = printed if vectorized and printed else dtype
    return {"Name": name, "Dimensions": dims, "Format/Datatype": fmt}


def _split_tensors(section: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Split ``IN, IN -> OUT, OUT`` (either dialect) into tensor dicts; None when it cannot be read."""
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    pos = 0
    side = inputs
    if section.startswith("->"):
        side = outputs
        pos = 2 + (section[2:3] == " ")
    matches = list(_SPEC_10.finditer(section, pos))
    brackets = "[]"
    if not matches:
        matches, brackets = list(_SPEC_8.finditer(section, pos)), "()"
    if not matches:
        return None if section.strip() not in ("", "->") else (inputs, outputs)
    for m in matches:
        if m.start() < pos:  # a suffix-looking text inside a name already consumed
            continue
        name = section[pos:m.start()]
        printed = f"{m.group('dt')}{brackets[0]}{m.group('dims')}{brackets[1]}"
        side.append(_tensor(name, m.group("dt"), m.group("dims"), printed))
        tail = section[m.end():m.end() + len(_ARROW)]
        if tail == _ARROW:
            side = outputs
            pos = m.end() + len(_ARROW)
        elif tail.startswith(", "):
            pos = m.end() + 2
        else:
            pos = m.end()
    if section[pos:].strip():
        return None
    return inputs, outputs


def parse_engine_layer_line(body: str) -> dict[str, Any] | None:
    """One ``Layer(TYPE): NAME, Tactic: T, tensors`` line -> exportLayerInfo-shaped dict, else None.

    A line whose tensor list cannot be read still gives a record (empty ``Inputs``/``Outputs``) with
    ``"_unparsed": <text>`` so the caller can report it.
    """
    m = _LAYER_LINE.match(body)
    if m is None:
        return None
    rest = m.group("rest")
    t = _TACTIC.search(rest)
    if t is None:
        return None
    record: dict[str, Any] = {
        "Name": rest[:t.start()],
        "LayerType": m.group("type"),
        "Inputs": [],
        "Outputs": [],
        "TacticValue": t.group("tactic"),
    }
    section = rest[t.end():]
    try:
        split = _split_tensors(section)
    except ValueError:
        split = None
    if split is None:
        record["_unparsed"] = section
    else:
        record["Inputs"], record["Outputs"] = split
    return record


def _value(text: str) -> Any:
    """Typed value of a one-line record field (JSON fragments, integers, floats), else the text."""
    if text[:1] in "[{":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _tensor_objects(text: str) -> list[dict[str, Any]] | None:
    text = text.strip()
    if not text:
        return []
    out: list[dict[str, Any]] = []
    pos = 0
    for m in _TENSOR_OBJ.finditer(text):
        if text[pos:m.start()].strip(" ,"):
            return None
        tensor = _tensor(m.group("name"), m.group("fmt"), m.group("dims"))
        if m.group("loc"):
            tensor = {"Name": tensor["Name"], "Location": m.group("loc"), "Dimensions": tensor["Dimensions"],
                      "Format/Datatype": tensor["Format/Datatype"]}
        out.append(tensor)
        pos = m.end()
    if text[pos:].strip(" ,"):
        return None
    return out


def parse_oneline_record(line: str) -> dict[str, Any]:
    """One ``--dumpLayerInfo`` line -> exportLayerInfo-shaped dict (a bare name gives ``{"Name": line}``)."""
    if not line.startswith("Name: ") or ", LayerType: " not in line:
        name = line[len("Name: "):] if line.startswith("Name: ") else line
        return {"Name": name}
    cut = line.index(", LayerType: ")
    record: dict[str, Any] = {"Name": line[len("Name: "):cut]}
    rest = line[cut + 2:]
    io = _IO_LISTS.search(rest)
    if io is not None:
        head, tail = rest[:io.start()], rest[io.end():]
        try:
            ins, outs = _tensor_objects(io.group("inputs")), _tensor_objects(io.group("outputs"))
        except ValueError:  # a damaged Dimensions list
            ins = outs = None
        if ins is None or outs is None:
            record["_unparsed"] = io.group(0)
        parts = [p for p in _KEY_SPLIT.split(head.rstrip(", ")) if p]
        record.update(_fields(parts))
        record["Inputs"] = ins or []
        record["Outputs"] = outs or []
        record.update(_fields([p for p in _KEY_SPLIT.split(tail.lstrip(", ")) if p]))
    else:
        record.update(_fields(_KEY_SPLIT.split(rest)))
    return record


def _fields(parts: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        key, sep, val = part.partition(": ")
        if not sep:
            key, val = key.rstrip(":"), ""
        out[key] = _value(val) if key != "Metadata" and key != "TacticValue" else val
    return out


# ---- TensorRT 8.x/10.x build log: where each layer runs on a DLA engine ----------------------------------
#   [I] [TRT] ---------- Layers Running on DLA ----------
#   [I] [TRT] [DlaLayer] {ForeignNode[Conv_0...Relu_7]}
#   [I] [TRT] ---------- Layers Running on GPU ----------
#   [I] [TRT] [GpuLayer] REDUCE: GlobalAveragePool_8
DEVICE_HEADER = re.compile(r"^-+ Layers Running on (?P<device>DLA|GPU) -+$")
_DEVICE_LAYER = re.compile(r"^\[(?P<device>Dla|Gpu)Layer\] (?:(?P<type>[A-Z][A-Z0-9_]*): )?(?P<name>\S.*)$")
# The printed layer kinds (TensorRT's LayerType enum names) as --exportLayerInfo spells them.
_PRINTED_TYPES = {
    "ACTIVATION": "Activation", "CAST": "Cast", "CONCATENATION": "Concatenation", "CONSTANT": "Constant",
    "CONVOLUTION": "Convolution", "DECONVOLUTION": "Deconvolution", "ELEMENTWISE": "ElementWise",
    "FULLY_CONNECTED": "FullyConnected", "GATHER": "Gather", "IDENTITY": "Identity",
    "MATRIX_MULTIPLY": "MatrixMultiply", "PADDING": "Padding", "PLUGIN": "Plugin", "PLUGIN_V2": "PluginV2",
    "PLUGIN_V3": "PluginV3", "POOLING": "Pooling", "REDUCE": "Reduce", "RESIZE": "Resize", "SCALE": "Scale",
    "SHUFFLE": "Shuffle", "SLICE": "Slice", "SOFTMAX": "SoftMax", "TOPK": "TopK", "UNARY": "Unary",
}
DLA_LAYER_TYPE = "DLA"
_NODE_INDEX = re.compile(r"_(\d+)$")      # ONNX exporters name nodes Op_N (Conv_0, GlobalAveragePool_8)
_AFTER = re.compile(r"_after_(?P<of>.+)$")  # TensorRT's inserted layers: reshape_after_X, copied_squeeze_after_X


def parse_device_layer(stripped: str) -> dict[str, Any] | None:
    """``[DlaLayer] NAME`` / ``[GpuLayer] TYPE: NAME`` -> a layer record (``LayerType`` "DLA" for a DLA
    subgraph, the printed kind for a GPU layer; ``Device`` kept as an attribute), else None."""
    m = _DEVICE_LAYER.match(stripped)
    if m is None:
        return None
    dla = m.group("device") == "Dla"
    printed = m.group("type")
    ltype = DLA_LAYER_TYPE if dla else _PRINTED_TYPES.get(printed or "", (printed or "").title().replace("_", ""))
    return {"Name": m.group("name").rstrip(), "LayerType": ltype, "Device": "DLA" if dla else "GPU"}


def _nodes(name: str) -> list[str]:
    inner = name[len("{ForeignNode["):-2] if name.startswith("{ForeignNode[") and name.endswith("]}") else name
    return [n.strip() for part in inner.split("...") for n in part.split(" + ") if n.strip()]


def _first_index(name: str) -> int | None:
    found = [int(m.group(1)) for n in _nodes(name) if (m := _NODE_INDEX.search(n)) is not None]
    return min(found) if found else None


def order_device_layers(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The DLA and GPU layers in execution order, inferred from the ONNX node numbers in their names (a
    ``{ForeignNode[a...b]}`` DLA subgraph starts at ``a``; a layer TensorRT inserted, ``X_after_Y``, follows
    the layer holding ``Y``), and True; the printed order (DLA list, then GPU list) and False when a name
    gives no position."""
    keys: list[float | None] = []
    for rec in records:
        name = str(rec["Name"])
        after = None if name.startswith("{") else _AFTER.search(name)
        key: float | None = None
        if after is not None:
            of = after.group("of")
            key = _first_index(of)
            holder = next((r for r in records if r is not rec and of in str(r["Name"])), None)
            if holder is not None:
                base = _first_index(str(holder["Name"]))
                key = None if base is None else max(base, key if key is not None else base)
            key = None if key is None else key + 0.5
        else:
            first = _first_index(name)
            key = None if first is None else float(first)
        keys.append(key)
    if any(k is None for k in keys) or len(set(keys)) < len(keys):
        return records, False
    order = sorted(range(len(records)), key=lambda i: keys[i] or 0.0)
    return [records[i] for i in order], True


def device_lists_note(records: list[dict[str, Any]], ordered: bool) -> str:
    """What the bundle's layers are when they come from the DLA/GPU lists (a note the report shows)."""
    n_dla = sum(r["Device"] == "DLA" for r in records)
    order = ("in the order the ONNX node numbers in their names give (Op_N; a layer TensorRT inserted, "
             "X_after_Y, after Y)" if ordered else
             "as printed (the DLA list, then the GPU list): the names carry no ONNX node numbers, so the "
             "execution order is unknown")
    return (f"layers from TensorRT's 'Layers Running on DLA / GPU' lists: {n_dla} DLA subgraph(s) and "
            f"{len(records) - n_dla} GPU layer(s), names only, {order}")


class DeviceLists:
    """Collects TensorRT's "Layers Running on DLA / GPU" lists of a log (one pair per build)."""

    def __init__(self) -> None:
        self.lists: list[list[dict[str, Any]]] = []

    def feed(self, stripped: str) -> bool:
        """Take one line (without its prefix) if it belongs to the lists."""
        header = DEVICE_HEADER.match(stripped)
        if header is not None:
            if header.group("device") == "DLA" or not self.lists:
                self.lists.append([])
            return True
        record = parse_device_layer(stripped) if self.lists else None
        if record is None:
            return False
        self.lists[-1].append(record)
        return True

    def apply(self, out: Any, note: Callable[[str], None]) -> None:
        """The last build's lists into ``out`` (a TrtexecLog): ``device_layers`` and ``layer_order``, and its
        ``layer_records`` (source "device_lists", with a note) when the log has no other layer information."""
        lists = [d for d in self.lists if d]
        if not lists:
            return
        records, ordered = order_device_layers(lists[-1])
        out.device_layers, out.layer_order = records, "onnx-node-numbers" if ordered else "printed"
        if out.layer_records is None:
            out.layer_records, out.layer_records_source = [dict(r) for r in records], "device_lists"
            note(device_lists_note(records, ordered))
