"""The leaf encoding of docs/audit.md, byte for byte, and what does not fit it."""

from __future__ import annotations

import hashlib
from uuid import UUID

import pytest

from lifeledger.audit.leaves import (
    Unreadable,
    event_id,
    hash_event,
    id_bytes,
    leaf_bytes,
    leaf_hashes,
    parse_event_id,
)

ID = UUID("6c46c94d-ca10-5666-b317-89afc3ae2142")


def test_the_documented_layout() -> None:
    data = leaf_bytes(1, ID.bytes, 2, "a:B", b"\x00\xff")
    assert data.hex() == (
        "0000000000000001" "6c46c94dca105666b31789afc3ae2142" "0000000000000002"
        "00000003" "613a42" "00000002" "00ff"
    )  # fmt: skip
    leaf = hashlib.sha256(b"\x00" + data).digest()
    assert hash_event((1, ID, 2, "a:B", b"\x00\xff")) == (ID.bytes, leaf)
    assert hash_event((1, ID.hex, 2, "a:B", b"\x00\xff")) == (ID.bytes, leaf)  # SQLite's text


def test_a_page_hashes_as_its_events_do_on_both_stores() -> None:
    events = [(p, ID, p, f"topic-{p}", bytes(range(p))) for p in range(1, 40)]
    each = [hash_event(event)[1] for event in events]
    assert leaf_hashes(events) == each
    assert leaf_hashes([(p, o.hex, v, t, s) for p, o, v, t, s in events]) == each


@pytest.mark.parametrize(
    "stored",
    [ID.hex.upper(), str(ID), "{" + ID.hex + "}", ID.hex[:-1] + " ", "x" * 32, 17, None],
)
def test_an_id_not_stored_as_the_library_stores_it_fits_no_leaf(stored: object) -> None:
    with pytest.raises(Unreadable):
        id_bytes(stored)
    with pytest.raises(Unreadable):
        leaf_hashes([(1, ID, 1, "t", b""), (2, stored, 1, "t", b"")])


def test_a_state_that_is_not_bytes_fits_no_leaf() -> None:
    with pytest.raises(Unreadable, match="position 5"):
        hash_event((5, ID, 1, "t", "text"))  # type: ignore[arg-type]


def test_event_ids_as_the_feed_names_them() -> None:
    assert event_id(ID.bytes, 3) == f"{ID}:3"
    assert parse_event_id(f"{ID}:3") == (ID.bytes, 3)
    for text in (
        str(ID),
        f"{ID}:",
        f"{ID}:-1",
        f"{ID}:+1",
        f"{ID}:1.0",
        "x:1",
        f"{ID}:" + "9" * 19,
    ):
        assert parse_event_id(text) is None
