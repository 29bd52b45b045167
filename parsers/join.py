"""Join profile rows to layers BY NAME (never by position): the one join every command reads.

The bundle keeps the result (:meth:`trtinspect.parsers.model.EngineBundle.layer_times`); call
:func:`join_profile` directly only for frames that are not a bundle's. See docs/bundles.md.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trtinspect.parsers import schema

_PROFILE_SUFFIX = re.compile(r"\s*\[profile \d+\]\s*$")
_WS = re.compile(r"[ \t\r\n\f\v]+")  # not \s: Python counts \x1c-\x1f as whitespace


def normalise_name(name: Any) -> str:
    """Name for the second matching pass: no ` [profile N]` suffix, no control characters, single spaces."""
    if not isinstance(name, str):
        return ""
    text = _WS.sub(" ", _PROFILE_SUFFIX.sub("", name))  # tabs/newlines become spaces before control chars go
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return _WS.sub(" ", text).strip()


JOIN_COLUMNS = ("time_ms", "avg_ms", "median_ms", "percentage")


def _exact_pass(lnames: list[Any], pnames: list[Any], prof_idx: np.ndarray, used: np.ndarray) -> None:
    """Pair equal names; the k-th layer of a name takes the k-th profile row of that name."""
    pindex = pd.Index(pnames, dtype=object)
    if pindex.is_unique:  # the common case, hashed in C: only a name's first layer can take its row
        lindex = pd.Index(lnames, dtype=object)
        hit = pindex.get_indexer(lindex)
        found = hit >= 0
        # layers sharing a name share its row: then only the first takes it (checked on the row numbers, not by
        # hashing every layer name again)
        if np.bincount(hit[found], minlength=len(pnames)).max(initial=0) > 1:
            hit[lindex.duplicated(keep="first")] = -1
            found = hit >= 0
        prof_idx[found] = hit[found]
        used[hit[found]] = True
        return
    exact: dict[Any, deque[int]] = defaultdict(deque)
    for j, nm in enumerate(pnames):
        exact[nm].append(j)
    for i, nm in enumerate(lnames):
        queue = exact.get(nm)
        if queue:
            j = queue.popleft()
            prof_idx[i] = j
            used[j] = True


def json_decoded(name: Any) -> str | None:
    """``name`` read as the body of a JSON string (``a\\\\b`` -> ``a\\b``, ``\\u00e9`` -> ``é``), or None when it
    holds no backslash or is no valid JSON string body."""
    if not isinstance(name, str) or "\\" not in name:
        return None
    try:
        decoded = json.loads(f'"{name}"')
    except ValueError:
        return None
    return decoded if isinstance(decoded, str) and decoded != name else None


def _decoded_pass(lnames: list[Any], pnames: list[Any], prof_idx: np.ndarray, used: np.ndarray,
                  match: np.ndarray) -> None:
    """Profile names kept verbatim (trtexec writes them unescaped) whose JSON-decoded form is a layer's name: a
    profile written with JSON escapes (``\\\\``, ``\\"``, ``\\n``, ``\\u00e9``) names the layers the graph JSON
    names, since both files' strings then decode the same way."""
    decoded: dict[str, deque[int]] = defaultdict(deque)
    for jj in np.flatnonzero(~used):
        name = json_decoded(pnames[jj])
        if name is not None:
            decoded[name].append(int(jj))
    if not decoded:
        return
    for ii in np.flatnonzero(prof_idx < 0):
        queue = decoded.get(lnames[ii]) if isinstance(lnames[ii], str) else None
        if queue:
            j = queue.popleft()
            prof_idx[ii] = j
            used[j] = True
            match[ii] = "decoded"


def unmatched_profile_ms(profile: pd.DataFrame, joined: pd.DataFrame) -> float:
    """Summed average time of the profile rows no layer took, given ``joined`` from :func:`join_profile`.

    Counted by row (``profile_row``), so a duplicated name counts the time of the row that stayed unmatched.
    """
    if profile.empty:
        return 0.0
    used = np.zeros(len(profile), dtype=bool)
    if "profile_row" in joined:
        used[joined["profile_row"].dropna().to_numpy(dtype="int64")] = True
    return float(np.nansum(profile["avg_ms"].to_numpy(dtype="float64", na_value=np.nan)[~used]))


def join_profile(layers: pd.DataFrame, profile: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Join profile rows to layers BY NAME: ``(layers + time columns, unmatched_profile, unmatched_layers)``.

    Exact names first, then :func:`normalise_name`, then the profile name read as a JSON string body
    (:func:`_decoded_pass`); duplicated names pair up in order of occurrence. The result is the layers frame
    plus ``time_ms``, ``avg_ms``, ``median_ms``, ``percentage`` (NaN where no row matched, never filled),
    ``profile_row`` (Int64) and ``match`` (``exact`` | ``normalised`` | ``decoded`` | ``none``).
    """
    n = len(layers)
    out = layers.copy(deep=False)
    prof_idx = np.full(n, -1, dtype=np.int64)
    match = np.full(n, "none", dtype=object)
    pnames = profile["name"].tolist() if "name" in profile else []
    lnames = layers["name"].tolist() if "name" in layers else []
    used = np.zeros(len(pnames), dtype=bool)
    if pnames and lnames:
        _exact_pass(lnames, pnames, prof_idx, used)
        match[prof_idx >= 0] = "exact"
        if not used.all() and (prof_idx < 0).any():
            norm: dict[str, deque[int]] = defaultdict(deque)
            for jj in np.flatnonzero(~used):
                norm[normalise_name(pnames[jj])].append(int(jj))
            for ii in np.flatnonzero(prof_idx < 0):
                queue = norm.get(normalise_name(lnames[ii]))
                if queue:
                    j = queue.popleft()
                    prof_idx[ii] = j
                    used[j] = True
                    match[ii] = "normalised"
        if not used.all() and (prof_idx < 0).any():
            _decoded_pass(lnames, pnames, prof_idx, used, match)
    matched = prof_idx >= 0
    for col in JOIN_COLUMNS:
        values = np.full(n, np.nan)
        if col in profile and matched.any():
            values[matched] = profile[col].to_numpy(dtype="float64", na_value=np.nan)[prof_idx[matched]]
        out[col] = values
    profile_row = pd.array(np.where(matched, prof_idx, 0), dtype="Int64")
    profile_row[~matched] = pd.NA
    out["profile_row"] = profile_row
    out["match"] = pd.array(match, dtype="string")
    unmatched_profile = [str(pnames[j]) for j in np.flatnonzero(~used)]
    unmatched_layers = [str(lnames[i]) for i in np.flatnonzero(~matched)] if pnames else []
    return out, unmatched_profile, unmatched_layers


# A Myelin kernel TensorRT 10 profiles inside a {ForeignNode[...]} layer: ``node_conv2d_myl0_1``,
# ``__mye59_0_myl0_0``, ``__myl_MaxrSubExpSum_myl5_4`` (graph 0, 3, 5 of the engine's Myelin subgraphs).
MYELIN_PART = re.compile(r"_myl\d+_\d+$")
FOREIGN_NODE = "{ForeignNode["


@dataclass(frozen=True)
class Leftovers:
    """What the join left unpaired, read for whether profile and layers can be one engine's
    (:func:`leftovers`)."""

    foreign: list[str]        # profiled names that match no layer and are no Myelin part of a ForeignNode layer
    myelin_parts: list[str]   # profiled Myelin kernels of a {ForeignNode[...]} layer the layers list whole
    untimed: list[str]        # layers no profile row timed (ForeignNode layers whose parts were profiled aside)

    def two_engines(self) -> bool:
        """Each side names layers the other lacks. One engine's profile names only its layers, and its layer
        information every layer it profiles; an excerpt of either is a subset of the other. Every real bundle
        in the repository has neither kind of leftover (docs/bundles.md)."""
        return bool(self.foreign) and bool(self.untimed)


def leftovers(unmatched_profile: list[str], unmatched_layers: list[str]) -> Leftovers:
    """Split the join's leftovers. An engine's layer information written without detailed verbosity (a
    verbose build log's 'Engine Layer Information') lists a Myelin subgraph as one ``{ForeignNode[...]}`` layer
    while ``--exportProfile`` / ``--dumpProfile`` time its kernels (``..._myl0_1``): real TensorRT 10.16 output
    (fixtures trt10.16-h100 result-02.log with result-05.log). Those rows are the engine's, not a sign of another
    engine, when such a ForeignNode layer is left untimed."""
    foreign_nodes = [n for n in unmatched_layers if n.startswith(FOREIGN_NODE)]
    parts = [n for n in unmatched_profile if foreign_nodes and MYELIN_PART.search(n)]
    if not parts:
        return Leftovers(list(unmatched_profile), [], list(unmatched_layers))
    part_set = set(parts)
    return Leftovers([n for n in unmatched_profile if n not in part_set], parts,
                     [n for n in unmatched_layers if not n.startswith(FOREIGN_NODE)])


def schema_columns() -> dict[str, str]:
    """Columns :func:`join_profile` adds to LAYERS (documented in docs/bundles.md)."""
    return {**{c: schema.PROFILE[c] for c in JOIN_COLUMNS}, "profile_row": "Int64", "match": "string"}
