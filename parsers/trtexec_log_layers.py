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
