"""The grammar of TensorRT engine layer names: fused names -> ONNX source nodes, reformat targets, suffixes.

``A + B`` vertical fusion, ``A || B`` horizontal fusion, ``PWN(...)`` pointwise fusion, ``{ForeignNode[a...b]}``
Myelin regions, TRT 7 DLA groups ``{a,b,c}``, ``Reformatting CopyNode for Input Tensor 0 to X``, `` [profile N]``.
See docs/engine-layer-json.md.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# Name patterns -> layer_type when only names are known (names-only JSON, profile tables).
NAME_LAYER_TYPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Reformatting CopyNode for "), "Reformat"),
    (re.compile(r" (?:input|output) reformatter \d+$"), "Reformat"),
    (re.compile(r"^\{ForeignNode\["), "Myelin"),
    (re.compile(r"^\{[^{}\[\]]+,[^{}\[\]]+\}$"), "DLA"),  # TRT 7 DLA subgraph "{conv1,relu1,pool1}"
    (re.compile(r"^PWN\("), "PointWise"),
    (re.compile(r"^__my[a-z]*\d*_"), "kgen"),
]

# ---- Fused-name grammar ----------------------------------------------------------------------------------

_PROFILE_SUFFIX_RE = re.compile(r" \[profile (\d+)\]$")
_REFORMAT_NAME_RE = re.compile(r"^Reformatting CopyNode for (?:Input|Output) Tensor \d+ to (.+)$", re.S)
_REFORMATTER_7X_RE = re.compile(r"^(.+) (?:input|output) reformatter \d+$", re.S)
_SYNTHETIC_NAME_RE = re.compile(r"^\[[^\[\]]*\]$")
_FOREIGN_RE = re.compile(r"^\{ForeignNode\[(.*)\]\}$", re.S)
# TRT 7.x names a DLA-offloaded subgraph by listing every layer in it: "{conv1/7x7_s2,conv1/relu_7x7,...}".
_DLA_GROUP_RE = re.compile(r"^\{([^{}\[\]]+,[^{}\[\]]+)\}$", re.S)
_MYELIN_INTERNAL_RE = re.compile(r"^__my[a-z]*\d*_")
_MYELIN_SUFFIX_RE = re.compile(r"_myl\d+_\d+$")
_METADATA_ENTRY_RE = re.compile(r"^\[ONNX Layer: (.*)\]$", re.S)
_BRACKET_RE = re.compile(r"[()\[\]{}]")
# A bracket opened inside another, or still open at a " + " (the "(" or "[" is followed, before any bracket,
# by another opener or by " + "). With the checks for "{", "}", "|", "PWN" and "_my" this says that a name is
# not a flat "a [x] + b (y)" (tests/test_fast_paths.py compares it with the lazy form
# ``[(\[][^()\[\]]*?(?:[(\[]| \+ )``, which backtracks at every character). Scanning a run consumes it
# whole: possessive quantifiers from Python 3.11, a lookahead + backreference (the same atomic step) before.
_RUN_TO_OPENER = (r"[^()\[\] ]*+(?: (?!\+ )[^()\[\] ]*+)*+[ (\[]" if sys.version_info >= (3, 11)
                  else r"(?=((?:[^()\[\] ]+| (?!\+ ))*))\1[ (\[]")  # pragma: no cover - Python 3.10
# One search per opener (``[(\[]`` + the run is the whole test): a pattern that starts with one literal
# character is searched for at C speed where a leading character class is tried at every position (half the
# time on long fused names).
_PAREN_ACROSS = re.compile(r"\(" + _RUN_TO_OPENER).search
_SQUARE_ACROSS = re.compile(r"\[" + _RUN_TO_OPENER).search
_FUSED_HINT_RE = re.compile(r" \+ | \|\| |PWN\(|\{ForeignNode\[|__my|_myl")
_OPENERS = "([{"
MAX_NAME_NESTING = 64  # deeper PWN(PWN(...)) / ForeignNode nesting is kept as one node (no recursion blow-up)
_CLOSERS = ")]}"


def split_profile_suffix(name: str) -> tuple[str, int | None]:
    """``("conv1 [profile 2]") -> ("conv1", 2)``; names without the suffix come back unchanged."""
    if not name.endswith("]") or " [profile " not in name:
        return name, None
    m = _PROFILE_SUFFIX_RE.search(name)
    if m is None:
        return name, None
    return name[: m.start()], int(m.group(1))


def reformat_target(name: str) -> str | None:
    """The layer a reformat serves: ``"Reformatting CopyNode for Input Tensor 0 to X"`` -> ``"X"``."""
    return reformat_target_base(split_profile_suffix(name)[0])


def reformat_target_base(base: str) -> str | None:
    if base.startswith("Reformatting CopyNode for "):
        m = _REFORMAT_NAME_RE.match(base)
    elif " reformatter " in base:
        m = _REFORMATTER_7X_RE.match(base)
    else:
        return None
    return m.group(1) if m else None


def _balance(text: str) -> int:
    if _BRACKET_RE.search(text) is None:
        return 0
    return sum(text.count(c) for c in _OPENERS) - sum(text.count(c) for c in _CLOSERS)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets (names like ``(Unnamed Layer* 3) [Shuffle]`` keep their parts)."""
    if sep not in text:
        return [text]
    if _BRACKET_RE.search(text) is None:
        return text.split(sep)
    out: list[str] = []
    current: str | None = None
    depth = 0
    for piece in text.split(sep):
        current = piece if current is None else current + sep + piece
        depth += _balance(piece)
        if depth <= 0:
            out.append(current)
            current, depth = None, 0
    if current is not None:
        out.append(current)
    return out


def _decompose(name: str, kinds: set[str], depth: int = 0) -> list[str]:
    if depth > MAX_NAME_NESTING or _FUSED_HINT_RE.search(name) is None:
        term = name.strip()
        return [term] if term else []
    parts = _split_top(name, " || ")
    if len(parts) > 1:
        kinds.add("horizontal")
        return [n for p in parts for n in _decompose(p, kinds, depth + 1)]
    parts = _split_top(name, " + ")
    if len(parts) > 1:
        kinds.add("vertical")
        return [n for p in parts for n in _decompose(p, kinds, depth + 1)]
    term = name.strip()
    if not term:
        return []
    foreign = _FOREIGN_RE.match(term)
    if foreign is not None:
        kinds.add("foreign")
        inner = foreign.group(1)
        ends = inner.split("...", 1) if "..." in inner else [inner]
        return [n for p in ends for n in _decompose(p, kinds, depth + 1)]
    if term.startswith("PWN(") and term.endswith(")"):
        kinds.add("pwn")
        return [n for p in _split_top(term[4:-1], ", ") for n in _decompose(p, kinds, depth + 1)]
    if _MYELIN_INTERNAL_RE.match(term):
        return []                       # Myelin-generated kernel name (__myl_Resh_myl5_1): no ONNX node
    suffix = _MYELIN_SUFFIX_RE.search(term)
    if suffix is not None and suffix.start() > 0:
        return [term[: suffix.start()]]  # ONNX node + Myelin suffix (node_conv2d_myl0_1 -> node_conv2d)
    return [term]


def source_nodes_from_name(name: str) -> tuple[list[str], str]:
    """ONNX node names an engine layer name is made of, and the fusion kind.

    Fusion kind: ``none`` | ``vertical`` (``a + b``) | ``horizontal`` (``a || b``) | ``pwn`` (``PWN(a, b)``) |
    ``foreign`` (``{ForeignNode[a...b]}``: only the first and last node are named; TRT 7 DLA subgraphs
    ``{a,b,c}`` name every node) | ``mixed`` (several).
    Reformat layers (``Reformatting CopyNode for Input Tensor 0 to X``) have no source nodes of their own.
    """
    if not isinstance(name, str):
        return [], "none"
    base = split_profile_suffix(name)[0]
    if reformat_target_base(base) is not None:
        return [], "none"
    return nodes_from_base(base)


def _vertical(pieces: list[str]) -> tuple[list[str], str]:
    nodes = list(map(str.strip, pieces))
    if "" in nodes:
        nodes = [s for s in nodes if s]
    if len(set(nodes)) != len(nodes):
        nodes = list(dict.fromkeys(nodes))
    return nodes, "vertical"


def is_flat(base: str) -> bool:
    """No horizontal fusion, PWN(...), {ForeignNode[...]} or Myelin name, and no bracket nested in another or
    left open across a " + " (brackets inside the parts are fine: ``a [b3] + (Unnamed Layer* 5) [Shuffle]``)."""
    return not ("{" in base or "}" in base or "|" in base or "PWN" in base or "_my" in base) \
        and ("(" not in base or _PAREN_ACROSS(base) is None) and ("[" not in base or _SQUARE_ACROSS(base) is None)


def nodes_from_base(base: str) -> tuple[list[str], str]:
    """source_nodes_from_name for a name without profile suffix that is not a reformat."""
    if not ("{" in base or "}" in base or "|" in base or "PWN" in base or "_my" in base) \
            and ("(" not in base or _PAREN_ACROSS(base) is None) \
            and ("[" not in base or _SQUARE_ACROSS(base) is None):  # is_flat
        # Fast path, most layers: a plain or bracketed "a [b3] + (Unnamed Layer* 5) [Shuffle] + c (2)". Every
        # piece opens no more brackets than it closes, so _decompose returns exactly the pieces; a name
        # without " + " is one node (or none: a synthetic "[...]" record).
        if " + " in base:
            return _vertical(base.split(" + "))
        if base.startswith("[") and _SYNTHETIC_NAME_RE.match(base):
            return [], "none"
        stripped = base.strip()
        return ([stripped] if stripped else []), "none"
    if base.startswith("{"):
        dla = _DLA_GROUP_RE.match(base.strip())
        if dla is not None:
            return list(dict.fromkeys(p.strip() for p in dla.group(1).split(",") if p.strip())), "foreign"
    if _FUSED_HINT_RE.search(base) is None:
        if base.startswith("[") and _SYNTHETIC_NAME_RE.match(base):
            return [], "none"
        stripped = base.strip()
        return ([stripped] if stripped else []), "none"
    kinds: set[str] = set()
    nodes = list(dict.fromkeys(_decompose(base, kinds)))
    if not kinds:
        return nodes, "none"
    return nodes, (next(iter(kinds)) if len(kinds) == 1 else "mixed")


def source_nodes_from_metadata(metadata: Any) -> list[str]:
    """ONNX node names in a TRT 10 ``Metadata`` string (``[ONNX Layer: a]\\x1e[ONNX Layer: b]``).

    Entries are separated by ``\\x1e`` (layers fused by TensorRT) or ``\\x1f`` (Myelin); other entries are
    ignored here (the raw string stays in ``attributes["Metadata"]``).
    """
    if not isinstance(metadata, str) or not metadata:
        return []
    nodes: list[str] = []
    for entry in re.split(r"[\x1e\x1f]", metadata):
        m = _METADATA_ENTRY_RE.match(entry.strip())
        if m is not None and m.group(1):
            nodes.append(m.group(1))
    return list(dict.fromkeys(nodes))


def layer_type_from_name(name: str) -> str:
    for pattern, ltype in NAME_LAYER_TYPES:
        if pattern.search(name):
            return ltype
    return ""


# ---- Precision rule --------------------------------------------------------------------------------------
