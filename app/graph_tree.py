"""Collapsible groups over the units of a graph (engine layers, or the aligned groups of a diff).

A unit's group path comes from its ONNX module prefix (``layer2.0.conv1.weight`` -> ``layer2 / layer2.0``,
``/encoder/layer.3/attention/MatMul`` -> ``encoder / encoder.layer.3 / ...``). Units without one (Q/DQ,
reformats, ``Conv_12``) join a neighbour's group: Q/DQ and reformats the next unit's (they feed it), the rest
the previous unit's. The tree is then made readable:

* a group of at most ``LEAF`` units holds its units directly (one expand shows every layer);
* a group of one unit, or a group whose only child is a group, is dissolved;
* a level with more than ``MAX_CHILDREN`` children (long chains, hundreds of repeated modules, engines with
  no module names at all) is cut into consecutive chunks, at the cuts fewest tensors cross.

A view is the set of EXPANDED group ids: visible items are the units and collapsed groups whose parents are
all expanded (the root always is).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LEAF = 10  # a group with at most this many units shows them all when expanded
MAX_CHILDREN = 10  # most children one level shows (more are cut into chunks)
ATTACH_WINDOW = 8  # how far a unit without a module path looks for a neighbour's

Item = tuple[str, int]  # ("u", unit position) or ("g", group id)


@dataclass
class Group:
    id: int
    label: str
    parent: int
    children: list[Item]
    units: np.ndarray  # unit positions in the subtree, ascending
    chunk: bool = False  # cut from a long level (not a module of the model)


@dataclass
class Tree:
    groups: list[Group]
    unit_parent: np.ndarray  # innermost group holding each unit as a direct child
    n: int
    chunked: int = 0  # levels that had to be cut into chunks
    by_module: bool = False  # at least one group comes from module paths
    _depth: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> Group:
        return self.groups[0]

    def ancestors(self, unit: int) -> list[int]:
        """Group ids from the root's child down to the group that holds ``unit`` directly (root excluded)."""
        out = []
        g = int(self.unit_parent[unit])
        while g > 0:
            out.append(g)
            g = self.groups[g].parent
        return out[::-1]

    def group_ancestors(self, gid: int) -> list[int]:
        out = []
        g = self.groups[gid].parent
        while g > 0:
            out.append(g)
            g = self.groups[g].parent
        return out[::-1]

    def visible(self, expanded: set[int]) -> list[Item]:
        """Units and collapsed groups shown when ``expanded`` groups (and the root) are open."""
        out: list[Item] = []
        stack: list[Item] = list(reversed(self.root.children))
        while stack:
            kind, i = stack.pop()
            if kind == "g" and i in expanded:
                stack.extend(reversed(self.groups[i].children))
            else:
                out.append((kind, i))
        return out

    def unit_to_visible(self, items: Sequence[Item]) -> np.ndarray:
        """Index into ``items`` of the visible item holding each unit."""
        vis = np.full(self.n, -1, dtype=np.int64)
        for idx, (kind, i) in enumerate(items):
            if kind == "u":
                vis[i] = idx
            else:
                vis[self.groups[i].units] = idx
        return vis


BLOCK_SUFFIX = re.compile(r"^(.*?)\s*[\[(]([A-Za-z_]*\d+)[\])]$")


def module_path(nodes: Sequence[str]) -> tuple[str, ...]:
    """Module prefixes of the first source node that names one: ``layer2.0.conv1.weight`` ->
    (``layer2``, ``layer2.0``, ``layer2.0.conv1``); ``/enc/layer.0/attn/MatMul`` -> (``enc``, ``enc/layer.0``,
    ``enc/layer.0/attn``). A repeated-block suffix (``conv1.weight [b3]``, ``Conv_12 (b3)``) is the outermost
    module: (``b3``, ``b3/conv1``)."""
    block: tuple[str, ...] = ()
    for raw in nodes:
        node = raw.strip()
        m = BLOCK_SUFFIX.match(node)
        if m and "Unnamed Layer" not in m.group(1):
            node = m.group(1)
            block = block or (m.group(2),)
        if node.startswith("/") and node.count("/") >= 2:
            parts = [p for p in node.strip("/").split("/")[:-1] if p]
            sep = "/"
        elif "." in node and not node.startswith(("(", "[", "{")) and " " not in node:
            parts = [p for p in node.split(".")[:-1] if p]
            sep = "."
        else:
            continue
        if parts:
            inner = tuple(sep.join(parts[: k + 1]) for k in range(len(parts)))
            return block + tuple(f"{block[0]}/{p}" for p in inner) if block else inner
    return block


def _resolve(paths: list[tuple[str, ...]], attach_next: Sequence[bool]) -> list[tuple[str, ...]]:
    n = len(paths)
    out = list(paths)
    for i in range(n):
        if paths[i]:
            continue
        nxt = next((paths[j] for j in range(i + 1, min(n, i + 1 + ATTACH_WINDOW)) if paths[j]), ())
        prv = next((out[j] for j in range(i - 1, max(-1, i - 1 - ATTACH_WINDOW), -1) if out[j]), ())
        out[i] = (nxt or prv) if attach_next[i] else (prv or nxt)
    return out


class _Builder:
    def __init__(self, n: int, labels: Sequence[str], edges: tuple[np.ndarray, np.ndarray]) -> None:
        self.n = n
        self.labels = labels
        self.groups: list[Group] = [Group(0, "", -1, [], np.arange(n))]
        src, dst = edges
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        keep = lo != hi
        self.lo, self.hi = np.sort(lo[keep]), np.sort(hi[keep])
        self.chunked = 0

    def crossing(self, b: int) -> int:
        """Tensor edges from a unit before position ``b`` to one at or after it."""
        return int(np.searchsorted(self.lo, b, "left") - np.searchsorted(self.hi, b, "left"))

    def first(self, item: Item) -> int:
        return item[1] if item[0] == "u" else int(self.groups[item[1]].units[0])

    def label(self, item: Item, end: int) -> str:
        """The name of an item at the start (end=0) or end (end=-1) of a chunk."""
        if item[0] == "u":
            return self.labels[item[1]]
        g = self.groups[item[1]]
        return g.label.split(" \u2026 ")[end] if g.chunk else g.label

    def units(self, items: Sequence[Item]) -> np.ndarray:
        parts = [np.array([i]) if k == "u" else self.groups[i].units for k, i in items]
        return np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)

    def new_group(self, label: str, children: list[Item], chunk: bool = False) -> Item:
        gid = len(self.groups)
        self.groups.append(Group(gid, label, -1, children, self.units(children), chunk))
        for k, i in children:
            if k == "g":
                self.groups[i].parent = gid
        return ("g", gid)

    def chunk(self, items: list[Item]) -> list[Item]:
        """``items`` cut into at most MAX_CHILDREN consecutive chunks (top-down: a chunk of more than
        MAX_CHILDREN items is cut again inside), each cut where the fewest tensors cross."""
        if len(items) <= MAX_CHILDREN:
            return items
        self.chunked += 1
        k = min(MAX_CHILDREN, -(-len(items) // MAX_CHILDREN))
        ideal = len(items) / k
        cap = MAX_CHILDREN if len(items) <= MAX_CHILDREN * MAX_CHILDREN else len(items)  # leaf chunks stay leaves
        out: list[Item] = []
        s = 0
        for done in range(k):
            rest = len(items) - s
            if done == k - 1:
                end = len(items)
            else:
                left = k - done - 1  # chunks still to cut after this one
                lo_c = max(s + max(1, int(ideal * 0.7)), len(items) - cap * left)
                hi_c = min(s + max(1, math.ceil(ideal * 1.3)), s + cap, len(items) - left)
                target = round((done + 1) * ideal)
                end = min(
                    range(lo_c, max(lo_c, hi_c) + 1),
                    key=lambda c: (self.crossing(self.first(items[c])), abs(c - target)),
                )
            part = items[s:end]
            if len(part) == 1:
                out.append(part[0])
            elif part:
                a, b = self.label(part[0], 0), self.label(part[-1], -1)
                out.append(self.new_group(f"{a} \u2026 {b}", self.chunk(part), chunk=True))
            s = end
            if rest <= 0:
                break
        return out


def build_tree(
    paths: Sequence[tuple[str, ...]],
    attach_next: Sequence[bool],
    labels: Sequence[str],
    edges: tuple[np.ndarray, np.ndarray],
) -> Tree:
    """The group tree of ``len(paths)`` units in execution order (see the module docstring)."""
    n = len(paths)
    resolved = _resolve(list(paths), attach_next)
    bld = _Builder(n, labels, edges)
    # trie of module prefixes: node -> ordered items ("u", unit) / ("n", child prefix)
    trie: dict[tuple[str, ...], list[tuple[str, Any]]] = {(): []}
    for i, path in enumerate(resolved):
        for depth in range(len(path)):
            key = path[: depth + 1]
            if key not in trie:
                trie[key] = []
                trie[path[:depth]].append(("n", key))
        trie[path].append(("u", i))

    counts: dict[tuple[str, ...], int] = {}

    def size(key: tuple[str, ...]) -> int:
        if key not in counts:
            counts[key] = sum(1 if k == "u" else size(v) for k, v in trie[key])
        return counts[key]

    def flat_units(key: tuple[str, ...]) -> list[Item]:
        out: list[Item] = []
        for k, v in trie[key]:
            if k == "u":
                out.append(("u", v))
            else:
                out.extend(flat_units(v))
        return sorted(out, key=lambda it: it[1])

    def build(key: tuple[str, ...]) -> list[Item]:
        total = size(key)
        if total < 2:
            return flat_units(key)
        if total <= LEAF:
            return [bld.new_group(key[-1], flat_units(key))]
        children: list[Item] = []
        for k, v in trie[key]:
            if k == "u":
                children.append(("u", v))
            else:
                children.extend(build(v))
        if len(children) == 1:
            return children
        return [bld.new_group(key[-1], bld.chunk(children))]

    top: list[Item] = []
    for k, v in trie[()]:
        if k == "u":
            top.append(("u", v))
        else:
            top.extend(build(v))
    top.sort(key=bld.first)
    # an engine of at most LEAF units opens fully expanded (no group at all)
    root_children = bld.chunk(top) if n > LEAF else [("u", i) for i in range(n)]
    bld.groups[0].children = root_children
    for kind, i in root_children:
        if kind == "g":
            bld.groups[i].parent = 0
    unit_parent = np.zeros(n, dtype=np.int64)
    reachable = [0]
    stack = [0]
    while stack:
        grp = bld.groups[stack.pop()]
        for kind, i in grp.children:
            if kind == "u":
                unit_parent[i] = grp.id
            else:
                stack.append(i)
                reachable.append(i)
    by_module = any(not bld.groups[g].chunk for g in reachable[1:])
    return Tree(bld.groups, unit_parent, n, bld.chunked, by_module)
