"""An act's content hash is the one stored hashes were made with: SHA-256 of the standard
library's compact, key-sorted JSON (a changed hash would turn the re-import of an act
already in the ledger into a conflict)."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest

from lifeledger.domain.acts import content_hash
from tests.builders import a_birth, a_pin


def as_first_defined(content: dict[str, Any]) -> str:
    relevant = {k: v for k, v in content.items() if k not in ("entered_by", "extra")}
    text = json.dumps(relevant, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


CONTENTS: list[dict[str, Any]] = [
    a_birth(a_pin("F", 1990), "1990-01-02", "F"),
    {"kind": "birth", "Ă": 1, "A": 2, "ă": 3, "😀": 4, "z": {"b": [1, 2], "a": None}},
    {"note": 'tab\there "quoted" \\ line\nbreak \x00\x1f\x7f \u2028 \ufeff Đặng'},
    {"page": 12.0, "small": 1e-05, "tiny": 1.5e-300, "big": 1e16, "mid": 123456.789},
    {"page": 2**70, "negative": -(2**64)},  # beyond orjson's integers
    {"name": "1e5 and 0.00001 as text"},
    {"entered_by": "op-1", "extra": {"x": 1}, "kind": "death"},  # both left out
]


@pytest.mark.parametrize("content", CONTENTS)
def test_content_hash_is_the_first_definitions(content: dict[str, Any]) -> None:
    assert content_hash(content) == as_first_defined(content)


def test_content_hash_of_random_numbers_is_the_first_definitions() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        value = rng.random() * 10 ** rng.randint(-40, 40) * rng.choice((1, -1))
        content = {"kind": "birth", "n": value, "i": rng.randint(-(2**63), 2**63 - 1)}
        assert content_hash(content) == as_first_defined(content), value
