"""The output frames of an alignment (pure): one ``DIFF_GROUPS`` row per fusion group, one ``DIFF_MEMBERS``
row per layer. Split out of :mod:`trtinspect.inspector.align`, which pairs the layers into groups.

A group's row is defined by :func:`group_values` (its kind and changes, method, label, and the facts of each
side). Most groups hold at most one core layer a side (1->1 pairs, added and removed layers: 56,000 of the
61,600 groups of two 51,600-layer engines); their rows are gathered from per-layer columns, each fact read
once per layer, and their kinds and changes are decided over whole columns (:func:`_single_columns`). Groups
with more layers on a side go through :func:`group_values`. tests/test_fast_paths.py checks the two give the
same frame (``fast=False`` builds every row with :func:`group_values`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from trtinspect.inspector.align_fusion import fusion_changed
from trtinspect.inspector.align_inputs import INPUT_CONVERSION
from trtinspect.inspector.align_side import _COPY_NODE, _root, _Side, primary_op, token
from trtinspect.parsers import schema

__all__ = ["CHANGE_KINDS", "group_values", "output_frames"]

CHANGE_KINDS: tuple[str, ...] = ("precision", "format", "tactic")   # priority for a 1->1 group's kind

Groups = dict[int, tuple[list[int], list[int]]]


def output_frames(a: _Side, b: _Side, groups: Groups, method_a: list[str], method_b: list[str], *,
                  fast: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, str]]:
    """(DIFF_GROUPS frame, DIFF_MEMBERS frame, group id -> stable label) of the groups of core positions
    ``groups``; copy reformats join the group of the layer they serve. Group ids follow execution order."""
    renum = _execution_order(groups, len(b))
    gid_a, meth_a = _member_groups(a, groups, renum, 0, method_a)
    gid_b, meth_b = _member_groups(b, groups, renum, 1, method_b)
    members: dict[str, Any] = {      # int64 columns as arrays: the frame takes them as they are
        "side": [a.tag] * len(a) + [b.tag] * len(b),
        "layer_index": np.asarray(a.index + b.index, dtype=np.int64),
        "name": a.names + b.names, "group_id": np.concatenate([gid_a, gid_b]), "method": meth_a + meth_b,
    }
    cols, stable = _group_columns(a, b, len(groups), gid_a, gid_b, method_a, method_b, fast)
    return (schema.frame_from_columns(cols, schema.DIFF_GROUPS),
            schema.frame_from_columns(members, schema.DIFF_MEMBERS), dict(enumerate(stable)))


def _execution_order(groups: Groups, nb: int) -> np.ndarray:
    """Old group id -> new (an array over the ids 0.. of ``groups``, in its order): by first A layer, B-only
    groups after the A group preceding them in B (each B-only group's key: the last key met in B + 0.5, plus
    1e-6 per B-only group since)."""
    ids = list(groups)
    n = len(ids)
    if ids != list(range(n)):
        raise ValueError("group ids must be 0.. in order")
    a_lists = [la for la, _ in groups.values()]
    b_lists = [lb for _, lb in groups.values()]
    a_lens = np.fromiter(map(len, a_lists), dtype=np.int64, count=n)
    b_lens = np.fromiter(map(len, b_lists), dtype=np.int64, count=n)
    sort_key = np.full(n, np.inf)
    has_a = a_lens > 0
    if has_a.any():
        flat_a = np.fromiter(itertools.chain.from_iterable(a_lists), dtype=np.int64, count=int(a_lens.sum()))
        starts = (np.cumsum(a_lens) - a_lens)[has_a]
        sort_key[has_a] = np.minimum.reduceat(flat_a, starts).astype(np.float64)
    gid_b = np.full(nb, -1, dtype=np.int64)
    flat_b = np.fromiter(itertools.chain.from_iterable(b_lists), dtype=np.int64, count=int(b_lens.sum()))
    gid_b[flat_b] = np.repeat(np.arange(n, dtype=np.int64), b_lens)
    keys: list[float] = sort_key.tolist()
    known = has_a.tolist()
    last = -1.0
    bump = 0.0
    for g in gid_b[gid_b >= 0].tolist():       # B layers in order
        if known[g]:
            last, bump = keys[g], 0.0
        else:
            bump += 1e-6
            keys[g] = last + 0.5 + bump
            known[g] = True
    order = np.argsort(np.asarray(keys, dtype=np.float64), kind="stable")
    renum = np.empty(n, dtype=np.int64)
    renum[order] = np.arange(n, dtype=np.int64)
    return renum


def _member_groups(side: _Side, groups: Groups, renum: np.ndarray, pos: int,
                   methods: list[str]) -> tuple[np.ndarray, list[str]]:
    """(new group id, method) of each layer of one side; a copy reformat is "served" in its layer's group."""
    n = len(side)
    lists = [members[pos] for members in groups.values()]
    lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    group_of = np.full(n, -1, dtype=np.int64)
    flat = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int64, count=int(lens.sum()))
    group_of[flat] = np.repeat(renum, lens)
    served = [i for i, s in enumerate(side.served) if s is not None]
    gids = group_of.copy()
    meths = list(methods[:n])
    for i in served:
        gids[i] = group_of[_root(side, i)]
        meths[i] = "served"
    if (gids < 0).any():
        raise KeyError(int(np.flatnonzero(gids < 0)[0]))      # a layer in no group
    return gids, meths


class _SideGroups:
    """One side's layers by group: layer_index lists, core and reformat counts, the first core position."""

    def __init__(self, side: _Side, gids: np.ndarray, n_groups: int) -> None:
        n = len(side)
        gid = np.asarray(gids, dtype=np.int64)
        core = np.fromiter((s is None for s in side.served), dtype=bool, count=n)
        order = np.argsort(gid, kind="stable")          # by group, then by position
        counts = np.bincount(gid, minlength=n_groups)
        self.ends = np.cumsum(counts).tolist()
        self.starts = (np.cumsum(counts) - counts).tolist()
        self.order: list[int] = order.tolist()
        index_sorted = np.asarray(side.index, dtype=np.int64)[order].tolist() if n else []
        self.layers = [index_sorted[s:e] for s, e in zip(self.starts, self.ends, strict=True)]
        self.n_core = np.bincount(gid[core], minlength=n_groups)
        self.reformats = counts - self.n_core
        core_sorted = np.flatnonzero(core)[np.argsort(gid[core], kind="stable")]
        core_starts = np.cumsum(self.n_core) - self.n_core
        first = np.full(n_groups, n, dtype=np.int64)      # n: no core layer
        has = self.n_core > 0
        first[has] = core_sorted[core_starts[has]]
        self.first: list[int] = first.tolist()

    def positions(self, g: int) -> list[int]:
        """Positions of group g's layers (core and reformats), in execution order."""
        return self.order[self.starts[g]:self.ends[g]]


def _group_columns(a: _Side, b: _Side, n_groups: int, gid_a: np.ndarray, gid_b: np.ndarray,
                   method_a: list[str], method_b: list[str], fast: bool) -> tuple[dict[str, Any], list[str]]:
    """DIFF_GROUPS columns and each group's stable label."""
    ga, gb = _SideGroups(a, gid_a, n_groups), _SideGroups(b, gid_b, n_groups)
    if fast:
        cols, stable = _single_columns(a, b, ga, gb, method_a, method_b)
        general = np.flatnonzero((ga.n_core > 1) | (gb.n_core > 1)).tolist()
    else:
        cols = {c: [None] * n_groups for c in schema.DIFF_GROUPS}
        stable = [""] * n_groups
        general = list(range(n_groups))
    for g in general:
        values, stable[g] = group_values(a, b, g, ga.positions(g), gb.positions(g), method_a, method_b)
        for c, v in values.items():
            cols[c][g] = v
    return cols, stable


# --------------------------------------------------------------------------------------------------------
# Every group, one at a time: the definition.


def _uniq(values: Sequence[Any]) -> str | None:
    if len(values) == 1:
        v = values[0]
        return None if v is None or v == "" else str(v)
    seen = [v for v in dict.fromkeys(values) if v is not None and v != ""]
    return "/".join(str(v) for v in seen) if seen else None


def _short(side: _Side, i: int) -> str:
    return _short_of(side.keys[i], side.names[i])


def _short_of(keys: list[str], name: str) -> str:
    for suffix in (".weight", ".bias"):
        mods = [k[: -len(suffix)] for k in keys if k.endswith(suffix)]
        if mods:
            return ",".join(dict.fromkeys(mods))
    return name if len(name) <= 60 else name[:57] + "..."


def _norm(v: Any) -> str | None:
    return None if v is None or v == "" else str(v)


def _facts(side: _Side, core: list[int]) -> tuple[str | None, ...]:
    """(precision, output precision, input formats, output formats, tactic, layer types) of a group side."""
    if len(core) == 1:
        i = core[0]
        return (_norm(side.precision[i]), _norm(side.out_precision[i]), _norm(side.in_format[i]),
                _norm(side.out_format[i]), _norm(side.tactic[i]), _norm(side.layer_type[i]))
    return (
        _uniq([side.precision[i] for i in core]), _uniq([side.out_precision[i] for i in core]),
        _uniq([side.in_format[i] for i in core]), _uniq([side.out_format[i] for i in core]),
        _uniq([side.tactic[i] for i in core]), _uniq([side.layer_type[i] for i in core]),
    )


def _differs(x: str | None, y: str | None) -> bool:
    """A fact changed only when both sides know it: names-only layers (no precision, format, tactic or
    type) are unknown, not different."""
    return x is not None and y is not None and x != y


def _classify(na: int, nb: int, fa: tuple[str | None, ...], fb: tuple[str | None, ...],
              ra: int, rb: int, *, same_layers: bool = False) -> tuple[str, list[str]]:
    """Group kind and changes; ``same_layers``: both sides hold the same layer names in the same order (an n->n
    group of layers sharing source nodes, e.g. duplicate names, is not a re-partitioning then)."""
    changes: list[str] = []
    if na and nb:
        if _differs(fa[0], fb[0]) or _differs(fa[1], fb[1]):
            changes.append("precision")
        if _differs(fa[2], fb[2]) or _differs(fa[3], fb[3]) or ra != rb:
            changes.append("format")
        if _differs(fa[4], fb[4]) or _differs(fa[5], fb[5]):
            changes.append("tactic")
    if not nb:
        return "only_a", changes
    if not na:
        return "only_b", changes
    if na > 1 and nb == 1:
        return "fused", changes
    if na == 1 and nb > 1:
        return "split", changes
    if na > 1 and nb > 1 and not same_layers:
        return "repartitioned", changes
    for c in CHANGE_KINDS:
        if c in changes:
            return f"{c}_changed", changes
    return "unchanged", changes


def group_values(a: _Side, b: _Side, g: int, la: list[int], lb: list[int], method_a: list[str],
                 method_b: list[str]) -> tuple[dict[str, Any], str]:
    """Group ``g``'s DIFF_GROUPS row (``la``/``lb``: positions of its layers, reformats included, in
    execution order) and its direction-independent label."""
    ca = [i for i in la if a.served[i] is None]
    cb = [j for j in lb if b.served[j] is None]
    ra, rb = len(la) - len(ca), len(lb) - len(cb)
    fa, fb = _facts(a, ca), _facts(b, cb)
    kind, changes = _classify(len(ca), len(cb), fa, fb, ra, rb,
                              same_layers=[a.names[i] for i in ca] == [b.names[j] for j in cb])
    used = ({method_a[i] for i in ca} | {method_b[j] for j in cb}) - {"only"}
    method = "/".join(sorted(used)) if used else "only"
    if kind in ("only_a", "only_b"):
        method = "only"
    elif used == {"type-bucket"}:
        kind = "bucket"
    elif len(ca) == len(cb) == 1 and used == {"order-and-type"} and fusion_changed(a, ca[0], b, cb[0]):
        kind = "repartitioned"     # names only, paired by order, Conv+Add+Relu vs add+relu: a fusion change
    label_a = _side_label(a, ca) if ca else ""
    label_b = _side_label(b, cb) if cb else ""
    values = {
        "group_id": g, "kind": kind, "method": method, "changes": changes,
        "label": _both_label(label_a, label_b) if method == INPUT_CONVERSION else label_a if ca else label_b,
        "a_layers": [a.index[i] for i in la], "b_layers": [b.index[j] for j in lb],
        "n_a": len(ca), "n_b": len(cb), "a_reformats": ra, "b_reformats": rb,
        "a_types": fa[5], "b_types": fb[5],
        "a_ops": _uniq([o for i in ca for o in a.ops(i)]),
        "b_ops": _uniq([o for j in cb for o in b.ops(j)]),
        "a_primary_ops": [token(a, i) for i in ca], "b_primary_ops": [token(b, j) for j in cb],
        "a_precision": fa[0], "b_precision": fb[0],
        "a_output_precision": fa[1], "b_output_precision": fb[1],
        "a_format": _fmt(fa), "b_format": _fmt(fb), "a_tactic": fa[4], "b_tactic": fb[4],
    }
    return values, _stable_label(label_a, label_b)


def _side_label(side: _Side, idx: list[int]) -> str:
    shorts = list(dict.fromkeys(_short(side, i) for i in idx))
    return " + ".join(shorts[:3]) + (f" + {len(shorts) - 3} more" if len(shorts) > 3 else "")


def _both_label(label_a: str, label_b: str) -> str:
    """The label of a group whose two sides are different layers doing one job (an engine input's copy reformat
    and the other engine's input quantize): both named, as an event names them ("A: x; B: y")."""
    return f"A: {label_a}; B: {label_b}"


def _stable_label(label_a: str, label_b: str) -> str:
    """A group's name, the same whichever side is A: the shorter of the two sides' labels (the fused form of a
    fusion change, ``conv1`` rather than ``conv1 + MaxPool_12``), ties broken alphabetically. History trends
    (``history --layer``) key on it, so it must not depend on the direction of the comparison."""
    labels = [x for x in (label_a, label_b) if x]
    return min(labels, key=lambda x: (len(x), x)) if labels else ""


def _fmt(facts: tuple[str | None, ...]) -> str | None:
    fin, fout = facts[2], facts[3]
    if fin is None and fout is None:
        return None
    return f"{fin or '?'} -> {fout or '?'}"


# --------------------------------------------------------------------------------------------------------
# Groups of at most one core layer a side, column by column (the same values as group_values).


def _single_facts(side: _Side, first: list[int]) -> dict[str, np.ndarray]:
    """Per group, the facts of its one core layer (position ``first``; len(side): none), as group_values
    gives them for a side of at most one core layer: each fact computed per layer, then gathered."""
    n = len(side)
    take = np.asarray(first, dtype=np.int64)

    def gather(values: list[Any], none: Any) -> np.ndarray:
        column = np.empty(n + 1, dtype=object)
        column[:n] = values
        column[n] = none
        return column[take]

    def norm(values: list[Any]) -> np.ndarray:
        if set(map(type, values)) <= _STR_OR_NONE:     # strings already: only "" becomes None
            column = gather(values, None)
            column[column == ""] = None
            return column
        return gather([None if v is None or v == "" else str(v) for v in values], None)

    ops, tokens = _op_facts(side)

    return {
        "precision": norm(side.precision), "output_precision": norm(side.out_precision),
        "in_format": norm(side.in_format), "out_format": norm(side.out_format),
        "tactic": norm(side.tactic), "types": norm(side.layer_type),
        "ops": gather(ops, None), "primary": gather(tokens, None),
        "label": gather(_shorts(side), ""),
    }


_MODULE_SUFFIXES = (".weight", ".bias")
_STR_OR_NONE = frozenset({str, type(None)})


def _shorts(side: _Side) -> list[str]:
    """:func:`_short` of every layer: its name (shortened) unless one of its source-node names ends in .weight /
    .bias (only those layers are looked at)."""
    names = side.names
    out = [name if len(name) <= 60 else name[:57] + "..." for name in names]
    keys = side.keys
    for i in side.layers_ending(_MODULE_SUFFIXES):
        out[i] = _short_of([k for k in keys[i] if k.endswith(_MODULE_SUFFIXES)], names[i])
    return out


def _op_facts(side: _Side) -> tuple[list[str | None], list[str]]:
    """Every layer's op kinds "/"-joined (``_uniq(ops)``) and :func:`token`, once per distinct op list
    (:attr:`_Side.op_class`)."""
    side.read_all_ops()
    classes = cast(list[int], side.op_class)
    uniq = list(map([_uniq(ops) for ops in side.op_lists].__getitem__, classes))
    primary = map([primary_op(ops) for ops in side.op_lists].__getitem__, classes)
    tokens = [p or t or "?" for p, t in zip(primary, side.ptype, strict=True)]
    for i, name in enumerate(side.names):
        if name.startswith("Reformatting CopyNode for ") and _COPY_NODE.match(name):
            tokens[i] = "Reformat"
    return uniq, tokens


def _differ(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x != None) & (y != None) & (x != y)  # noqa: E711  (elementwise over object arrays)


def _single_columns(a: _Side, b: _Side, ga: _SideGroups, gb: _SideGroups, method_a: list[str],
                    method_b: list[str]) -> tuple[dict[str, Any], list[str]]:
    """DIFF_GROUPS columns and stable labels of every group as if each side held at most one core layer (rows
    of other groups are overwritten by the caller)."""
    n_groups = len(ga.first)
    fa, fb = _single_facts(a, ga.first), _single_facts(b, gb.first)
    has_a, has_b = ga.n_core > 0, gb.n_core > 0
    both = has_a & has_b

    def differ(*keys: str) -> np.ndarray:
        out = np.zeros(n_groups, dtype=bool)
        for k in keys:
            out |= _differ(fa[k], fb[k])
        return out

    precision = both & differ("precision", "output_precision")
    fmt = both & (differ("in_format", "out_format") | (ga.reformats != gb.reformats))
    tactic = both & differ("tactic", "types")
    code = (precision * 1 + fmt * 2 + tactic * 4).tolist()
    changes_of = [[c for bit, c in zip((1, 2, 4), CHANGE_KINDS, strict=True) if k & bit] for k in range(8)]
    kind_of = [f"{c[0]}_changed" if c else "unchanged" for c in changes_of]
    kinds = [kind_of[k] for k in code]
    for g in np.flatnonzero(~has_b).tolist():
        kinds[g] = "only_a"
    for g in np.flatnonzero(~has_a).tolist():
        kinds[g] = "only_b"
    methods = _single_methods(a, b, ga.first, gb.first, method_a, method_b, kinds)
    labels_a, labels_b = fa["label"].tolist(), fb["label"].tolist()
    labels = [x if h else y for x, y, h in zip(labels_a, labels_b, has_a.tolist(), strict=True)]
    for g in [g for g, m in enumerate(methods) if m == INPUT_CONVERSION]:
        labels[g] = _both_label(labels_a[g], labels_b[g])
    cols: dict[str, Any] = {
        "group_id": np.arange(n_groups, dtype=np.int64), "kind": kinds, "method": methods,
        "changes": [list(changes_of[k]) for k in code],
        "label": labels,
        "a_layers": ga.layers, "b_layers": gb.layers,
        # int64 columns stay arrays (the frame takes them as they are; group_values' rows are assigned into them)
        "n_a": ga.n_core.astype(np.int64), "n_b": gb.n_core.astype(np.int64),
        "a_reformats": ga.reformats.astype(np.int64), "b_reformats": gb.reformats.astype(np.int64),
        "a_types": fa["types"].tolist(), "b_types": fb["types"].tolist(),
        "a_ops": fa["ops"].tolist(), "b_ops": fb["ops"].tolist(),
        "a_primary_ops": [[t] if t is not None else [] for t in fa["primary"].tolist()],
        "b_primary_ops": [[t] if t is not None else [] for t in fb["primary"].tolist()],
        "a_precision": fa["precision"].tolist(), "b_precision": fb["precision"].tolist(),
        "a_output_precision": fa["output_precision"].tolist(), "b_output_precision": fb["output_precision"].tolist(),
        "a_format": _formats(fa), "b_format": _formats(fb),
        "a_tactic": fa["tactic"].tolist(), "b_tactic": fb["tactic"].tolist(),
    }
    stable = [(x if (len(x), x) <= (len(y), y) else y) if x and y else x or y
              for x, y in zip(labels_a, labels_b, strict=True)]
    return cols, stable


def _formats(facts: dict[str, np.ndarray]) -> list[str | None]:
    return [None if fin is None and fout is None else f"{fin or '?'} -> {fout or '?'}"
            for fin, fout in zip(facts["in_format"].tolist(), facts["out_format"].tolist(), strict=True)]


def _single_methods(a: _Side, b: _Side, first_a: list[int], first_b: list[int], method_a: list[str],
                    method_b: list[str], kinds: list[str]) -> list[str]:
    """Each group's method (``kinds`` updated for type buckets and names-only fusion changes)."""
    na, nb = len(a), len(b)
    memo: dict[tuple[str | None, str | None], tuple[str, frozenset[str]]] = {}
    out: list[str] = []
    for g, (i, j) in enumerate(zip(first_a, first_b, strict=True)):
        ma = method_a[i] if i < na else None
        mb = method_b[j] if j < nb else None
        got = memo.get((ma, mb))
        if got is None:
            used = frozenset(m for m in (ma, mb) if m is not None) - {"only"}
            got = memo[(ma, mb)] = ("/".join(sorted(used)) if used else "only", used)
        method, used = got
        kind = kinds[g]
        if kind in ("only_a", "only_b"):
            method = "only"
        elif used == {"type-bucket"}:
            kinds[g] = "bucket"
        elif used == {"order-and-type"} and fusion_changed(a, i, b, j):
            kinds[g] = "repartitioned"
        out.append(method)
    return out
