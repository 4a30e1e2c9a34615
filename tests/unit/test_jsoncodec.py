"""`jsoncodec.loads` reads what `json.loads` reads, as it reads it, and refuses what it refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from lifeledger.jsoncodec import Verbatim, dumps_envelope, loads

TEXTS = [
    '{"pin": "034126000003", "name": "Nguyễn Văn Đức", "page": 12, "ok": true, "n": null}',
    '{"a": 1, "a": 2}',  # the last of a repeated key wins
    '{"page": 123456789012345678901234, "neg": -9223372036854775809}',  # beyond 64 bits
    '{"name": "\\ud800"}',  # a lone surrogate: orjson refuses it, check_storable names it
    '{"x": NaN, "y": Infinity}',
    "[1e400, 1.5, -0.0, 1e23]",
    '"x\\u0000y"',
]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("text", TEXTS)
def test_reads_as_the_standard_library_reads(text: str) -> None:
    assert same(loads(text), json.loads(text))
    assert same(loads(text.encode()), json.loads(text))


@pytest.mark.parametrize("text", ['{"a": 1', "not json", '{"a": 1} x', ""])
def test_refuses_with_the_standard_librarys_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        loads(text)
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_text_nested_too_deeply_is_refused_as_not_json(depth: int) -> None:
    """Beyond orjson's limit the standard library recursed until Python's limit and raised
    RecursionError, which stopped an import on one line of a file."""
    text = '{"note": ' + "[" * depth + "]" * depth + "}"
    for given in (text, text.encode()):
        with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
            loads(given)


def test_a_number_longer_than_python_reads_is_refused_as_not_json() -> None:
    text = '{"page": ' + "9" * 5000 + "}"
    for given in (text, text.encode()):
        with pytest.raises(json.JSONDecodeError, match="a number too long"):
            loads(given)


def test_verbatim_text_is_written_as_it_is_by_either_writer() -> None:
    """An envelope's stored content goes out as kept; beside an integer orjson refuses, the
    standard library's writer reads it first (it cannot write text as it is)."""
    content = '{"b":[1,"Đông"],"a":2}'
    assert dumps_envelope({"data": Verbatim(content)}) == b'{"data":' + content.encode() + b"}"
    huge = 2**70
    written = dumps_envelope({"n": huge, "data": Verbatim(content)})
    assert json.loads(written) == {"n": huge, "data": {"b": [1, "Đông"], "a": 2}}
