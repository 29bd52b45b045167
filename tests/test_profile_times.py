"""parsers.profile and parsers.times against the real TREx A100 exports (and variants made at test time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RESNET_VARIANTS, resnet_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import schema
from trtinspect.parsers.profile import parse_profile, parse_profile_bytes
from trtinspect.parsers.times import KEY_MAP, parse_times, parse_times_bytes


def _records(path: Path) -> tuple[int, list[dict]]:
    obj = json.loads(path.read_text())
    return obj[0]["count"], obj[1:]


# ---------------------------------------------------------------------------------------------------- profile
@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_profile_matches_file(variant: str) -> None:
    path = resnet_file(variant, "profile.json")
    count, records = _records(path)
    meta, frame = parse_profile(path)
    assert list(frame.columns) == list(schema.PROFILE)
    assert frame.dtypes.astype(str).to_dict() == schema.PROFILE
    assert meta.count == count
    assert meta.has_median and meta.n_records == len(records) == len(frame)
    assert frame["name"].tolist() == [r["name"] for r in records]
    assert frame["avg_ms"].sum() == pytest.approx(sum(r["averageMs"] for r in records))
    assert frame["time_ms"].tolist() == [r["timeMs"] for r in records]
    assert frame["median_ms"].tolist() == [r["medianMs"] for r in records]
    assert frame["percentage"].sum() == pytest.approx(sum(r["percentage"] for r in records))
    assert frame["row"].tolist() == list(range(len(records)))
    assert not frame["name_recovered"].any() and not meta.notes


def test_profile_8_2_four_keys(tmp_path: Path) -> None:
    count, records = _records(resnet_file("qat", "profile.json"))
    old = [{"count": count}] + [{k: v for k, v in r.items() if k != "medianMs"} for r in records]
    path = tmp_path / "old.profile.json"
    path.write_text(json.dumps(old))
    meta, frame = parse_profile(path)
    assert not meta.has_median and frame["median_ms"].isna().all()
    assert frame["avg_ms"].tolist() == [r["averageMs"] for r in records]


def _trtexec_style(count: int, records: list[dict]) -> str:
    """Write records the way trtexec does: names verbatim between quotes, never escaped."""
    lines = ["[", f'  {{ "count" : {count} }}']
    for r in records:
        lines.append(f', {{ "name" : "{r["name"]}", "timeMs" : {r["timeMs"]}, '
                     f'"averageMs" : {r["averageMs"]}, '
                     f'"medianMs" : {r["medianMs"]}, "percentage" : {r["percentage"]} }}')
    return "\n".join(lines) + "\n]\n"


NASTY_NAMES = [
    'Conv_9 + "quoted" + Relu',
    "path\\to\\layer",
    "line\nbreak",
    "tab\there",
    "ctrl\x01char",
    "literal backslash-n \\n stays",
    '{ "name" : inside',
]


def test_profile_recovers_unescaped_names(tmp_path: Path) -> None:
    count, records = _records(resnet_file("qat", "profile.json"))
    damaged = [dict(r) for r in records]
    for i, name in enumerate(NASTY_NAMES):
        damaged[2 * i + 1]["name"] = name
    path = tmp_path / "nasty.profile.json"
    path.write_text(_trtexec_style(count, damaged))
    meta, frame = parse_profile(path)
    assert frame["name"].tolist() == [r["name"] for r in damaged]
    assert frame["avg_ms"].tolist() == [r["averageMs"] for r in damaged]
    assert set(frame.loc[frame["name_recovered"], "name"]) == set(NASTY_NAMES)
    assert meta.count == count and sorted(meta.recovered) == sorted(NASTY_NAMES)
    assert any("unescaped" in n for n in meta.notes)


def test_profile_reports_unreadable_record(tmp_path: Path) -> None:
    count, records = _records(resnet_file("qat", "profile.json"))
    text = _trtexec_style(count, records)
    victim = records[5]["name"]
    text = text.replace(f'"name" : "{victim}", "timeMs" : ', f'"name" : "{victim}", "timeMs" : oops', 1)
    meta, frame = parse_profile_bytes(text.encode(), path="x.json")
    assert len(frame) == len(records) - 1 and victim not in set(frame["name"])
    assert any("could not be read" in n and victim[:20] in n for n in meta.notes)


def test_profile_truncated_keeps_complete_records(tmp_path: Path) -> None:
    path = resnet_file("qat", "profile.json")
    data = path.read_bytes()
    cut = data[: len(data) // 2]
    complete = cut.count(b"}\n")  # header + complete layer records
    meta, frame = parse_profile_bytes(cut, path="cut.json")
    assert len(frame) == complete - 1
    assert any("truncated" in n for n in meta.notes)


@pytest.mark.parametrize(
    "content", [b"[]", b'[{"count": 3}]', b'{"Layers": []}', b"hello", b'[{"count": 1}, {'])
def test_profile_unusable_raises(content: bytes) -> None:
    with pytest.raises(TrtInspectError):
        parse_profile_bytes(content, path="bad.json")


def test_profile_wrong_kind_names_it() -> None:
    with pytest.raises(TrtInspectError, match="exportTimes"):
        parse_profile(resnet_file("fp32", "timing.json"))


# ------------------------------------------------------------------------------------------------------ times
@pytest.mark.parametrize("variant", RESNET_VARIANTS)
def test_times_match_file(variant: str) -> None:
    path = resnet_file(variant, "timing.json")
    records = json.loads(path.read_text())
    meta, frame = parse_times(path)
    assert frame.dtypes.astype(str).to_dict() == schema.TIMES
    assert len(frame) == len(records) == meta.iterations and meta.era == "8.4+"
    assert frame["iteration"].tolist() == list(range(len(records)))
    assert frame["compute_ms"].tolist() == [r["computeMs"] for r in records]
    assert frame["latency_ms"].tolist() == [r["latencyMs"] for r in records]
    assert frame["h2d_start_ms"].tolist() == [r["startH2dMs"] for r in records]
    assert frame["enqueue_ms"].tolist() == pytest.approx([r["endEnqMs"] - r["startEnqMs"] for r in records])
    assert frame["end_to_end_ms"].isna().all()


def _rekey(records: list[dict], mapping: dict[str, str], extra: dict[str, float] | None = None) -> list[dict]:
    out = []
    for r in records:
        new = {mapping.get(k, k): v for k, v in r.items() if mapping.get(k, k) is not None}
        new.update(extra or {})
        out.append(new)
    return out


SEVEN_X = {"startEnqMs": None, "endEnqMs": None, "startH2dMs": "startInMs", "endH2dMs": "endInMs",
           "startD2hMs": "startOutMs", "endD2hMs": "endOutMs", "h2dMs": "inMs", "d2hMs": "outMs"}


def test_times_7x_keys() -> None:
    records = json.loads(resnet_file("fp32", "timing.json").read_text())[:50]
    old = _rekey(records, SEVEN_X, {"endToEndMs": 1.25})  # type: ignore[arg-type]
    meta, frame = parse_times_bytes(json.dumps(old).encode(), path="t7.json")
    assert meta.era == "7.x" and len(frame) == 50
    assert frame["h2d_start_ms"].tolist() == [r["startH2dMs"] for r in records]
    assert frame["d2h_ms"].tolist() == [r["d2hMs"] for r in records]
    assert frame["enqueue_ms"].isna().all() and (frame["end_to_end_ms"] == 1.25).all()


def test_times_8_0_keys() -> None:
    records = json.loads(resnet_file("fp32", "timing.json").read_text())[:20]
    old = [dict(r, endToEndMs=r["latencyMs"] + 0.5) for r in records]
    meta, frame = parse_times_bytes(json.dumps(old).encode())
    assert meta.era == "8.0-8.2"
    assert frame["end_to_end_ms"].tolist() == pytest.approx([r["latencyMs"] + 0.5 for r in records])


def test_times_key_map_covers_every_era() -> None:
    seven = {"startInMs", "endInMs", "startComputeMs", "endComputeMs", "startOutMs", "endOutMs", "inMs",
             "computeMs", "outMs", "latencyMs", "endToEndMs"}
    eight = {"startEnqMs", "endEnqMs", "startH2dMs", "endH2dMs", "startComputeMs", "endComputeMs",
             "startD2hMs", "endD2hMs", "h2dMs", "computeMs", "d2hMs", "latencyMs"}
    assert seven | eight == set(KEY_MAP)
    assert set(KEY_MAP.values()) <= set(schema.TIMES)


def test_times_wrong_kind_names_it() -> None:
    with pytest.raises(TrtInspectError, match="exportProfile"):
        parse_times(resnet_file("fp32", "profile.json"))


@pytest.mark.parametrize(("key", "value", "why"), [
    ("computeMs", "fast", "not a number"), ("computeMs", "NaN", "not a number"), ("latencyMs", True, "not a number"),
    ("computeMs", 1e308, "beyond any real measurement"), ("computeMs", -180.0, "negative time"),
    ("startComputeMs", 1e300, "beyond any real measurement"),
])
def test_times_bad_values_are_refused_naming_field_and_value(key: str, value: object, why: str) -> None:
    """Issue 17 item 3: one line with the field, the value and the record; never NaN or a silent sum."""
    records = json.loads(resnet_file("fp32", "timing.json").read_text())[:10]
    records[3][key] = value
    with pytest.raises(TrtInspectError) as err:
        parse_times_bytes(json.dumps(records).encode(), path="t.json")
    assert key in err.value.problem and repr(value) in err.value.problem and why in err.value.problem
    assert "record 3" in err.value.problem and err.value.path == "t.json"


# ---------------------------------------------------------------------------------------- property-based
PROFILE_BYTES = resnet_file("qat", "profile.json").read_bytes()
TIMES_BYTES = json.dumps(json.loads(resnet_file("fp32", "timing.json").read_text())[:200]).encode()


def _mangle(data: bytes, draw_ops: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for pos, length, insert in draw_ops:
        pos %= max(len(out), 1)
        out[pos: pos + length] = insert
    return bytes(out)


MANGLE = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 8),
                            st.sampled_from([b"", b'"', b"\\", b"\n", b"\x00", b"}", b"{", b",", b"nan",
                                             b"\xff", b'"name"', b"]"])), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=MANGLE)
def test_profile_mangled_never_crashes(ops: list[tuple[int, int, bytes]]) -> None:
    data = _mangle(PROFILE_BYTES, ops)
    try:
        _meta, frame = parse_profile_bytes(data, path="m.json")
    except TrtInspectError as exc:
        assert "\n" not in str(exc) and "m.json" in str(exc)
        return
    assert list(frame.columns) == list(schema.PROFILE) and len(frame) >= 1
    assert frame.dtypes.astype(str).to_dict() == schema.PROFILE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=MANGLE)
def test_times_mangled_never_crashes(ops: list[tuple[int, int, bytes]]) -> None:
    data = _mangle(TIMES_BYTES, ops)
    try:
        _meta, frame = parse_times_bytes(data, path="t.json")
    except TrtInspectError as exc:
        assert "\n" not in str(exc) and "t.json" in str(exc)
        return
    assert frame.dtypes.astype(str).to_dict() == schema.TIMES and len(frame) >= 1


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(PROFILE_BYTES)))
def test_profile_truncation_anywhere(cut: int) -> None:
    try:
        _, frame = parse_profile_bytes(PROFILE_BYTES[:cut] or b" ", path="c.json")
    except TrtInspectError:
        return
    _, full = parse_profile_bytes(PROFILE_BYTES)
    # whatever was read is a prefix of the real records, values intact
    assert frame["name"].tolist() == full["name"].tolist()[: len(frame)]
    assert frame["avg_ms"].tolist() == full["avg_ms"].tolist()[: len(frame)]
