"""JSON decoding (parsers/_io.loads): msgspec where it gives exactly orjson's values, orjson for the rest.

Every input the project reads decodes to the same value, with the same types, as ``orjson.loads`` gives, and
every input orjson refuses is refused with orjson's own error (so every bad-input message stays as it was):
duplicate keys, NaN/Infinity literals, integers beyond int64/uint64, big and tiny floats, lone surrogates,
a BOM, invalid UTF-8, control characters, deep nesting, trailing garbage, empty input. Property-based, like
tests/test_fast_paths_load.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtinspect.errors import TrtInspectError
from trtinspect.parsers import _io, layers

ROOT = Path(__file__).resolve().parents[1]


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (floats bit for bit, -0.0 too; dict keys in the same order)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _check(data: bytes) -> None:
    try:
        expected: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        with pytest.raises(orjson.JSONDecodeError) as got:
            _io.loads(data)
        assert str(got.value) == str(exc)
        return
    value, int64 = _io.loads_int64(data)
    assert _same(value, expected), data[:200]
    if int64:
        assert all(-(2**63) <= i < 2**63 for i in _ints(value))


def _ints(value: Any) -> list[int]:
    if type(value) is int:
        return [value]
    if type(value) is list:
        return [i for v in value for i in _ints(v)]
    if type(value) is dict:
        return [i for v in value.values() for i in _ints(v)]
    return []


CASES = [
    b'{"a":1,"a":2}', b'{"a":1,"b":3,"a":2}', b'{"a":{"a":1},"a":[2]}', b"NaN", b"[NaN]", b"[Infinity]",
    b"[-Infinity]", b"[nan]", b"[inf]", b"[9223372036854775807]", b"[9223372036854775808]",
    b"[18446744073709551615]", b"[18446744073709551616]", b"[-9223372036854775808]", b"[-9223372036854775809]",
    b"[123456789012345678901234567890]", b"[1" + b"0" * 400 + b"]", b"[1e400]", b"[-1e400]", b"[1e-400]",
    b"[1.7976931348623157e308]", b"[1.7976931348623159e308]", b"[4.9e-324]", b"[2.4703282292062328e-324]",
    b"[0.1]", b"[-0]", b"[-0.0]", b"[1E5]", b"[1.0]", b"[0e0]", b"[9007199254740993]", b"[9007199254740993.0]",
    b"[1e99999999999999999999]", b"[0." + b"0" * 400 + b"1]", b'["\\ud800"]', b'["\\udc00x"]', b'["\\ud800\\u0041"]',
    b'["\\ud83d\\ude00"]', b'["\xed\xa0\x80"]', b'["\xc0\x80"]', b'["\xf4\x90\x80\x80"]', b'["\xff"]', b'["\xc3"]',
    b'["\x7f"]', b'["a\tb"]', b'["\x00"]', b'{"\\u0000":1}', b'["\\x"]', b"[1] x", b"[1]   ", b"[1]\n", b"[1]\x00",
    b"", b" ", b"\xef\xbb\xbf[1]", b"[01]", b"[1.]", b"[.5]", b"[+1]", b"[0x10]", b'{"a":1,}', b"[1,]", b"[1 2]",
    b'{"a" 1}', b"[tru]", b"[True]", b"{1:2}", b"[1", b'"abc"', b"123", b"[true,false,null]", b"\t[1]\r\n",
    b"[\x0c1]", b"[1,\xa02]", b"[ ]", b"{ }",
    b"[" * 6 + b"1" + b"]" * 6,
    b"[" * (_io.FAST_JSON_DEPTH + 1) + b"1" + b"]" * (_io.FAST_JSON_DEPTH + 1),   # deeper: orjson decodes it
    b'{"a":' * (_io.FAST_JSON_DEPTH + 1) + b"1" + b"}" * (_io.FAST_JSON_DEPTH + 1),
    b"[" * 1025 + b"]" * 1025, b"[" * 100000,
]


@pytest.mark.parametrize("data", CASES)
def test_loads_is_orjson(data: bytes) -> None:
    _check(data)


def test_int64_flag() -> None:
    assert _io.loads_int64(b'{"a": [9223372036854775807, -9223372036854775808]}') == (
        {"a": [2**63 - 1, -(2**63)]}, True)
    assert _io.loads_int64(b"[9223372036854775808]") == ([2**63], False)   # orjson decoded it
    deep = b"[" * (_io.FAST_JSON_DEPTH + 1) + b"]" * (_io.FAST_JSON_DEPTH + 1)
    assert _io.loads_int64(deep)[1] is False


def test_every_project_json_decodes_as_orjson() -> None:
    files = [p for root in ("tests/data", "sample_engines") for p in sorted((ROOT / root).rglob("*.json"))]
    assert len(files) > 50
    for path in files:
        data = path.read_bytes()
        value, int64 = _io.loads_int64(data)
        assert int64, path  # the fast decoder took every real export
        assert _same(value, orjson.loads(data)), path


_ALPHABET = st.sampled_from([
    b"[", b"]", b"{", b"}", b",", b":", b" ", b"\n", b'"', b"\\", b"u", b"d8", b"dc", b"00", b"0", b"1", b"9", b"-",
    b"+", b".", b"e", b"E", b"true", b"null", b"NaN", b"Infinity", b"\xff", b"\xc3\xa9", b"\xed\xa0\x80", b"a",
    b'"k":', b"\x00", b"\x1f", b"12345678901234567890",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map(b"".join))
def test_loads_is_orjson_on_byte_soup(data: bytes) -> None:
    _check(data)


_DOCS = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_DOCS, st.sampled_from([None, 1]), st.booleans())
def test_loads_is_orjson_on_documents(doc: Any, indent: int | None, ascii_only: bool) -> None:
    _check(json.dumps(doc, indent=indent, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(rb"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?\Z"))
def test_loads_is_orjson_on_numbers(number: bytes) -> None:
    _check(b"[" + number + b"]")


def _layer_file(tmp_path: Path, dims: str) -> Path:
    path = tmp_path / "g.json"
    path.write_text('{"Layers": [{"Name": "conv", "LayerType": "CaskConvolution", "Inputs": [{"Name": "x", '
                    '"Format/Datatype": "Row major linear FP32", "Dimensions": ' + dims + ', "Location": "Device"}], '
                    '"Outputs": []}], "Bindings": ["x"]}')
    return path


@pytest.mark.parametrize("dims", ["[1, 9223372036854775808]", "[1, 100000000000000000000]", "[1, -9223372036854775809]",
                                  "[true, 3]", "[1, 2.0]", "[1, \"3\"]", "[1, null]", "[[1]]", "3"])
def test_shape_refused_on_both_decoders(tmp_path: Path, dims: str) -> None:
    """A shape beyond int64 (orjson decodes the file) or of anything but ints (either decoder) is refused."""
    with pytest.raises(TrtInspectError, match=r"has Dimensions .*not a tensor shape"):
        layers.parse_layer_info(_layer_file(tmp_path, dims))


@pytest.mark.parametrize("dims", ["[1, 9223372036854775808]", "[true, 3]", "[1, 2.0]", "[1, null]", "[[1]]", "3"])
@pytest.mark.parametrize("second", [False, True])
def test_shape_refused_in_a_tensor_pair(tmp_path: Path, dims: str, second: bool) -> None:
    """Two tensors of formats already seen (a fused Add's inputs, read by their own fast path): a bad shape in
    either is refused naming the layer, as in one tensor."""
    good = '{"Name": "x", "Format/Datatype": "Row major linear FP32", "Dimensions": [1, 3], "Location": "Device"}'
    bad = '{"Name": "y", "Format/Datatype": "Row major linear FP32", "Dimensions": ' + dims + ', "Location": "Device"}'
    pair = f"[{good}, {bad}]" if second else f"[{bad}, {good}]"
    path = tmp_path / "g.json"
    path.write_text('{"Layers": [{"Name": "a", "LayerType": "Reformat", "Inputs": [' + good + '], "Outputs": []}, '
                    '{"Name": "add", "LayerType": "CaskConvolution", "Inputs": ' + pair + ', "Outputs": []}], '
                    '"Bindings": ["x"]}')
    with pytest.raises(TrtInspectError, match=r"layer 'add' \(record 1\): a tensor of 'Inputs' has Dimensions "
                                              r".*not a tensor shape"):
        layers.parse_layer_info(path)


@pytest.mark.parametrize("dims", ["[1, 9223372036854775807]", "[-1, 3, 224, 224]", "[]", "null"])
def test_shape_kept(tmp_path: Path, dims: str) -> None:
    _, frame = layers.parse_layer_info(_layer_file(tmp_path, dims))
    assert frame["inputs"].iloc[0][0]["shape"] == json.loads(dims)
