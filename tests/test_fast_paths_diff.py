"""Fast paths of align / diff checked against the general code they replace (issue 11: outputs must not change)."""

from __future__ import annotations

import math
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trtinspect
from trtinspect.inspector import align as align_mod
from trtinspect.inspector import align_groups, align_side
from trtinspect.parsers.model import EngineBundle

ROOT = Path(__file__).resolve().parents[1]
S = "sample_engines/resnet18-a100"
X = "tests/data/external"
PAIRS = [
    (f"{S}/fp32", f"{S}/fp16"), (f"{S}/fp16", f"{S}/qat"), (f"{S}/qat", f"{S}/qat-residual"),
    (f"{S}/qat-residual", f"{S}/qat-residual-qgap"),
    (f"{X}/trex-rtx3090-resnet50/fp32", f"{X}/trex-rtx3090-resnet50/qat"),
    (f"{X}/trex-titanrtx-mobilenet/qat", f"{X}/trex-titanrtx-mobilenet/qat-residuals"),
    (f"{S}/qat", f"{X}/trex-rtx3090-resnet50/qat"),
]


@cache
def _load(folder: str) -> EngineBundle:
    return trtinspect.load(ROOT / folder)


@cache
def _generated(variant: str, names: str = "realistic") -> EngineBundle:
    """A GENERATED 1,200-layer engine (benchmarks/generated_engine.py), built in a temporary folder."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generated_engine import generate

    eng = generate(Path(tempfile.mkdtemp(prefix="trtinspect-gen-")), 1200, variant, indent=None, names=names)
    return trtinspect.load(eng.folder)


def _bundle_pairs() -> list[tuple[EngineBundle, EngineBundle]]:
    pairs = [(_load(x), _load(y)) for x, y in PAIRS]
    pairs.append((_generated("qat"), _generated("qat-residual")))
    pairs.append((_generated("fp16"), _generated("qat")))
    pairs.append((_generated("qat-residual"), _generated("qat-residual", "plain")))
    return pairs


# --- align_groups: groups of one core layer a side gathered column-wise == group_values row by row ----------
def test_group_rows_gathered_by_column_equal_the_general_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[pd.DataFrame, pd.DataFrame, dict[int, str]]] = []
    real = align_groups.output_frames

    def both(*args: object, **kwargs: object) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, str]]:
        fast = real(*args)  # type: ignore[arg-type]
        slow = real(*args, fast=False)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(fast[0], slow[0])
        pd.testing.assert_frame_equal(fast[1], slow[1])
        assert fast[2] == slow[2]
        seen.append(fast)
        return fast

    monkeypatch.setattr(align_mod, "output_frames", both)
    for a, b in _bundle_pairs():
        align_mod.align(a.layers, b.layers)
        align_mod.align(b.layers, a.layers)
    kinds = set().union(*(set(g["kind"]) for g, _, _ in seen))
    assert {"only_a", "only_b", "fused", "unchanged", "precision_changed"} <= kinds


# --- align_side.op_kind: one cache entry per digit-run shape, raw spellings with digits recomputed -----------
@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "C", "conv", "Conv", "Relu", "relu6", "conv2d", "quant", "_", "-", ".", ":",
                                  "/", " ", "[", "]", "(", ")", "*", "weight", "bias", "(Unnamed Layer* ",
                                  ") [Quantize]", "dequant", "__myl_", "1", "12", "345", "007", "٣", "node_",
                                  " [b", " (b", "Foo"]), min_size=1, max_size=10))
def test_op_kind_cached_by_digit_shape_equals_the_rule(parts: list[str]) -> None:
    text = "".join(parts)
    assert align_side.op_kind(text) == align_side._op_kind(text)
    assert align_side.op_kind(text + "_12") == align_side._op_kind(text + "_12")


def test_op_kind_raw_spellings_keep_their_digits() -> None:
    assert align_side.op_kind("Foo12_3") == "Foo12"
    assert align_side.op_kind("Foo34_3") == "Foo34"
    assert align_side.op_kind("/m/Layer10") == "Layer10"
    assert align_side.op_kind("conv2d_109 [b12]") == "Conv"
    assert align_side.op_kind("Conv_3009 [b3]") == align_side.op_kind("Conv_12 [b45]") == "Conv"


_NAME_PARTS = st.lists(st.sampled_from(["Conv", "conv2d", "_", "12", "3", "007", " [b", "]", "/", "Foo", "\x1f",
                                        ".weight", "(Unnamed Layer* ", ") [Shuffle]", "٣"]), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAME_PARTS.map("".join), max_size=12))
def test_op_kinds_in_one_pass_equal_op_kind_one_at_a_time(names: list[str]) -> None:
    assert align_side.op_kinds(names) == [align_side._op_kind(n) for n in names]


# --- diff: group times over whole columns == fsum per group; events decided once per distinct group facts ---
def _group_times_reference(layers: list[list[int]], ms_of: dict[int, float], timed: bool) -> list[tuple[float, int]]:
    out = []
    for la in layers:
        va = [ms_of.get(i, math.nan) for i in la]
        a_ms = math.fsum(v for v in va if not math.isnan(v)) if timed else math.nan
        out.append((a_ms, sum(1 for v in va if math.isnan(v))))
    return out


_MS = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64), st.sampled_from([0.1, 0.2, 0.3, -0.0,
                                                                                            1e308, 1e-320]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=5), max_size=8), st.lists(_MS, min_size=10, max_size=10),
       st.booleans())
def test_side_times_equal_fsum_per_group(layers: list[list[int]], values: list[float], timed: bool) -> None:
    from trtinspect.inspector import diff as diff_mod

    frame = pd.DataFrame({"layer_index": list(range(10)), "avg_ms": values})
    try:
        want = _group_times_reference(layers, diff_mod._ms_by_index(frame), timed)
    except OverflowError:
        with pytest.raises(OverflowError):
            diff_mod._side_times(layers, frame, timed)
        return
    sums, untimed = diff_mod._side_times(layers, frame, timed)
    got = list(zip(sums.tolist(), untimed.tolist(), strict=True))
    assert [(repr(x), n) for x, n in got] == [(repr(x), n) for x, n in want]


def _events_reference(groups: pd.DataFrame, layers_of: Any,
                      phrases: dict[int, str] | None = None) -> list[dict[str, object]]:
    """The per-row aggregation events() replaces (inspector.diff before issue 11; deltas by fsum since the
    trust-diff review, so diff B A's are exactly diff A B's negated)."""
    from trtinspect.inspector import diff_events as ev

    agg: dict[tuple[str, tuple[object, ...]], dict[str, object]] = {}
    columns = ("group_id", "label", "n_a", "n_b", "delta_ms", *ev.FACT_COLUMNS, ev.fo.FLOAT_OUT)
    lists = [[None if v is pd.NA else v for v in groups[c].tolist()] for c in columns]
    for values in zip(*lists, strict=True):
        row = dict(zip(columns, values, strict=True))
        event, key = ev._group_event(row)
        slot: dict[str, Any] = agg.setdefault((event, key), {"event": event, "groups": 0, "layers": 0,
                                                             "delta_ms": [], "group_ids": [], "labels": []})
        slot["groups"] += 1
        slot["layers"] += int(row["n_b"] if event == "added" else row["n_a"])
        slot["delta_ms"].append(float(row["delta_ms"]))
        slot["group_ids"].append(int(row["group_id"]))
        slot["labels"].append(str(row["label"]))
    out = []
    for (event, key), slot in agg.items():
        slot["delta_ms"] = d = math.fsum(slot["delta_ms"])
        count = slot["layers"] if event in ("removed", "added") else slot["groups"]
        gid = slot["group_ids"][0]
        tag = ev.event_tag(event, layers_of([gid])[gid]) if slot["groups"] == 1 else None
        if event in ev.COPY_EVENTS and slot["groups"] == 1:      # diff_copies' phrase names its one group
            tag = (phrases or {}).get(gid)
        what, a_val, b_val, text = ev.event_text(event, key, count, tag, d)
        out.append({**slot, "count": count, "what": what, "a": a_val, "b": b_val, "text": text,
                    **({ev.QDQ_NEXT: True} if ev.QDQ_NEXT in key else {}),
                    **({ev.QDQ_DOWNSTREAM: True} if ev.QDQ_DOWNSTREAM in key else {}),
                    **({ev.QDQ_WITH: True} if ev.QDQ_WITH in key else {})})
    out.sort(key=lambda e: (-abs(e["delta_ms"]) if not math.isnan(e["delta_ms"]) else 0.0, -e["count"],
                            ev.EVENT_PRIORITY.index(e["event"])))
    ev.diff_mixed.name_hidden_members(out, groups)
    return out


def test_diff_events_and_group_times_equal_the_row_by_row_code() -> None:
    from trtinspect.inspector import diff as diff_mod

    for a, b in _bundle_pairs():
        result = diff_mod.diff(a, b, findings=False, force=True)
        facts = result.groups.copy()      # the event facts diff computes and drops from its output
        facts[diff_mod.FLOAT_OUT] = pd.Series(diff_mod.float_out_facts(facts, {"a": a.layers, "b": b.layers}),
                                              index=facts.index, dtype="object")
        facts[diff_mod.QDQ_NEXT] = diff_mod.next_to_changed_qdq(facts, {"a": a.layers, "b": b.layers})
        facts[diff_mod.PARALLEL] = diff_mod.parallel_parts(facts, {"a": diff_mod._names(a), "b": diff_mod._names(b)})
        diff_mod.add_math_facts(facts)
        facts[diff_mod.COPY_GONE], phrases = diff_mod.copies_gone(facts, result.alignment.members,
                                                                  {"a": a.layers, "b": b.layers})
        moved_ops = {m["group_id"]: m["ops"] for m in result.moved}
        facts[diff_mod.MOVED_FACT] = [moved_ops.get(int(g)) for g in facts["group_id"].tolist()]
        layers_of = diff_mod._layers_of(result.alignment.members, a, b)
        assert orjson.dumps(result.events) == orjson.dumps(_events_reference(facts, layers_of, phrases))
        g = result.alignment.groups
        for side, bundle in (("a", a), ("b", b)):
            lt = bundle.layer_times()
            want = _group_times_reference(g[f"{side}_layers"].tolist(), diff_mod._ms_by_index(lt),
                                          diff_mod.is_timed(lt))
            assert [repr(x) for x, _ in want] == [repr(x) for x in result.groups[f"{side}_ms"].tolist()]
            assert [n for _, n in want] == result.groups[f"{side}_untimed"].tolist()


def test_diff_json_fast_writer_equals_the_exact_path() -> None:
    from trtinspect.inspector import diff as diff_mod
    from trtinspect.render import diff as render_diff

    for a, b in _bundle_pairs()[:3] + _bundle_pairs()[-2:]:
        result = diff_mod.diff(a, b, force=True)
        exact = orjson.dumps(result.to_dict(), option=render_diff._JSON_OPTIONS).decode()
        assert render_diff.render_json(result) == exact


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=1, max_size=8),
       st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=1, max_size=8))
def test_side_columns_read_like_fillna(texts: list[str | None], ints: list[int | None]) -> None:
    for values, dtype, default in ((texts, "string", ""), (ints, "Int64", 0)):
        frame = pd.DataFrame({"c": pd.Series(values, dtype=dtype)})
        assert align_side._col(frame, "c", default) == [default if v is None else v for v in values]


def _key_index_reference(keys_of: list[list[str]], core: list[int]) -> dict[str, list[int]]:
    from collections import defaultdict

    from trtinspect.inspector.align_keys import alias

    idx: dict[str, list[int]] = defaultdict(list)
    for i in core:
        keys = keys_of[i]
        for k in keys:
            idx[k].append(i)
        for k in keys:
            al = alias(k)
            if al is not None and al not in keys and (not idx[al] or idx[al][-1] != i):
                idx[al].append(i)
    return dict(idx)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["Conv_1", "Relu_2", "w.weight", "x", "/m/quant_conv/Conv", "/m/conv/Conv",
                                          "Add_3"]), max_size=4), max_size=8), st.data())
def test_key_index_equals_the_appending_loop(keys_of: list[list[str]], data: st.DataObject) -> None:
    core = sorted(data.draw(st.sets(st.integers(0, max(len(keys_of) - 1, 0)), max_size=len(keys_of))))
    frame = pd.DataFrame({"name": [f"l{i}" for i in range(len(keys_of))], "layer_index": list(range(len(keys_of))),
                          "source_nodes": keys_of})
    side = align_side._Side(frame, "A")
    got = align_mod._key_index(side, core)   # one pass, aliases only for layers with path names
    want = _key_index_reference(side.keys, core)
    assert list(got.items()) == list(want.items())
    only = {k: [] for k in data.draw(st.lists(st.sampled_from(sorted(want) or ["x"]), max_size=4))}
    restricted = align_mod._key_index(align_side._Side(frame, "B"), core, only)   # the names of the other side
    assert restricted == {k: v for k, v in want.items() if k in only}


# --- align._components (numpy label propagation) partitions like scipy's connected_components ----------------
@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40))
def test_components_partition_like_scipy(n: int, edges: list[tuple[int, int]]) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = [(u, v) for u, v in edges if u < n and v < n]
    src, dst = [u for u, _ in edges], [v for _, v in edges]
    got = align_mod._components(n, src, dst)
    if n == 0:
        assert len(got) == 0
        return
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    _, want = connected_components(graph, directed=False)
    pairs = set(zip(got.tolist(), want.tolist(), strict=True))
    assert len(pairs) == len(set(got.tolist())) == len(set(want.tolist()))


# --- model_match.windowed_similarity over whole columns == Counter per window --------------------------------
@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=0, max_size=1500), st.lists(st.sampled_from("abce"), max_size=1500))
def test_windowed_similarity_equals_counters_per_window(ta: list[str], tb: list[str]) -> None:
    from collections import Counter

    from trtinspect.inspector import model_match as mm

    na, nb = len(ta), len(tb)
    want = 0.0
    if na and nb:
        windows = max(1, min(na, nb) // mm.WINDOW_TOKENS)
        shared = 0
        for w in range(windows):
            ca = Counter(ta[na * w // windows: na * (w + 1) // windows])
            cb = Counter(tb[nb * w // windows: nb * (w + 1) // windows])
            shared += sum((ca & cb).values())
        want = 2.0 * shared / (na + nb)
    assert mm.windowed_similarity(ta, tb) == want


# --- align_side.read_all_ops: one classification per distinct layer shape == op_kind name by name ------------
_NODE_PARTS = ["Conv_", "conv2d_", "Relu_", "Foo", "12", "3", "007", "٣", ".weight", ".bias", " [b", "]", "/m/",
               "(Unnamed Layer* ", ") [Quantize]", "_output_.dequant", "\x1f", "\x1e", "w", "QuantizeLinear_"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.lists(st.sampled_from(_NODE_PARTS), max_size=4).map("".join), max_size=4),
                max_size=8))
def test_read_all_ops_equals_op_kind_per_name(keys_of: list[list[str]]) -> None:
    frame = pd.DataFrame({"name": [f"l{i}" for i in range(len(keys_of))], "layer_index": list(range(len(keys_of))),
                          "source_nodes": keys_of})
    side = align_side._Side(frame, "A")
    side.read_all_ops()
    want = [[o for o in map(align_side.op_kind, keys) if o is not None] for keys in keys_of]
    assert [side.ops(i) for i in range(len(keys_of))] == want
    assert side.op_class is not None
    assert [side.op_lists[c] for c in side.op_class] == want
    suffixes = (".weight", ".bias")
    assert side.layers_ending(suffixes) == [i for i, keys in enumerate(keys_of)
                                            if any(k.endswith(suffixes) for k in keys)]
    names = [f"l{i}" for i in range(len(keys_of))]
    assert align_groups._shorts(side) == [align_groups._short_of(keys, name)
                                          for keys, name in zip(keys_of, names, strict=True)]


# --- align_groups._execution_order: whole-array keys == the dict walk over B --------------------------------
def _execution_order_reference(groups: dict[int, tuple[list[int], list[int]]], nb: int) -> dict[int, int]:
    gid_b: dict[int, int] = {}
    for g, (_, lb) in groups.items():
        for j in lb:
            gid_b[j] = g
    sort_key: dict[int, float] = {g: float(min(la)) for g, (la, _) in groups.items() if la}
    last, bump = -1.0, 0.0
    for j in range(nb):
        g = gid_b.get(j)
        if g is None:
            continue
        if g in sort_key:
            last, bump = sort_key[g], 0.0
        else:
            bump += 1e-6
            sort_key[g] = last + 0.5 + bump
    order = sorted(groups, key=lambda g: sort_key.get(g, float("inf")))
    return {g: new for new, g in enumerate(order)}


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 12), st.integers(0, 12), st.data())
def test_execution_order_equals_the_walk_over_b(na: int, nb: int, data: st.DataObject) -> None:
    """Random partitions of A's and B's positions into groups (each with a layer of A or B)."""
    n_groups = data.draw(st.integers(1, max(1, na + nb))) if na + nb else 0
    owner_a = data.draw(st.lists(st.integers(0, max(n_groups - 1, 0)), min_size=na, max_size=na))
    owner_b = data.draw(st.lists(st.integers(0, max(n_groups - 1, 0)), min_size=nb, max_size=nb))
    raw = {g: ([i for i, o in enumerate(owner_a) if o == g], [j for j, o in enumerate(owner_b) if o == g])
           for g in range(n_groups)}
    groups = dict(enumerate(v for v in raw.values() if v[0] or v[1]))
    want = _execution_order_reference(groups, nb)
    got = align_groups._execution_order(groups, nb)
    assert {g: int(got[g]) for g in groups} == want


# --- align_side: stable names per layer shape, sorted op kinds per op class == per layer --------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.lists(st.sampled_from([*_NODE_PARTS, " [profile 1]", " [profile 12]", "x.y"]),
                                  max_size=4).map("".join), max_size=4), max_size=8))
def test_named_and_op_keys_by_shape_equal_per_layer(keys_of: list[list[str]]) -> None:
    frame = pd.DataFrame({"name": [f"l{i}" for i in range(len(keys_of))], "layer_index": list(range(len(keys_of))),
                          "source_nodes": keys_of})
    fast, slow = align_side._Side(frame, "A"), align_side._Side(frame, "A")
    fast.read_all_ops()
    for i, keys in enumerate(keys_of):
        want = frozenset(k for k in keys if align_side.is_named_key(align_side._PROFILE_SUFFIX.sub("", k)))
        assert fast.named(i) == slow.named(i) == want
        assert fast._op_key(i) == tuple(sorted(set(slow.ops(i))))
