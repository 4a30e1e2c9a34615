"""The bytes of a leaf: one stored event exactly as the event table holds it, in a fixed
binary layout that any language can rebuild (docs/audit.md, "Leaf encoding"):

    u64  position            big-endian, the event's place in ledger order
    16   originator id       the aggregate's UUID, its 16 bytes (RFC 9562 order)
    u64  originator version  big-endian
    u32  length ‖ topic      UTF-8
    u32  length ‖ state      the stored state bytes (compressed or encrypted as stored)

No decoding: the check needs neither the cipher key nor the domain's classes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from lifeledger.stored_events import RawEvent

_HEAD = struct.Struct(">Q16sQI")
_LENGTH = struct.Struct(">I")
_pack_head, _pack_length, _sha256 = _HEAD.pack, _LENGTH.pack, hashlib.sha256


class Unreadable(ValueError):
    """A stored event that does not fit the leaf encoding: an originator id that is no UUID,
    a state that is not bytes, … (only a hand-edited table holds one)."""


def id_bytes(originator_id: Any) -> bytes:
    """The 16 bytes of a stored originator id: a UUID (PostgreSQL), or the library's text of
    it (SQLite: 32 lowercase hex digits, exactly; any other spelling is a changed row, even
    one naming the same UUID, since the library would no longer find it)."""
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    try:
        return _canonical_hex(originator_id)
    except (TypeError, ValueError, AttributeError) as error:
        raise Unreadable(f"originator id {originator_id!r} is not a stored UUID") from error


def _canonical_hex(text: str) -> bytes:
    raw = bytes.fromhex(text)
    if len(raw) != 16 or raw.hex() != text:
        raise ValueError(text)
    return raw


def leaf_bytes(position: int, originator: bytes, version: int, topic: str, state: bytes) -> bytes:
    name = topic.encode()
    return b"".join((_pack_head(position, originator, version, len(name)), name,
                     _pack_length(len(state)), state))  # fmt: skip


def hash_event(event: RawEvent) -> tuple[bytes, bytes]:
    """(the originator id's 16 bytes, the leaf hash) of a stored event; `Unreadable` names a
    row that fits no leaf."""
    position, originator_id, version, topic, state = event
    originator = id_bytes(originator_id)
    try:
        data = leaf_bytes(position, originator, version, topic, state)
    except (TypeError, ValueError, AttributeError, struct.error) as error:
        raise Unreadable(f"event at position {position} does not fit a leaf: {error}") from error
    return originator, _sha256(b"\x00" + data).digest()


def leaf_hashes(events: Sequence[RawEvent]) -> list[bytes]:
    """The leaf hashes of a page of stored events: `hash_event`'s, in one comprehension per
    store (verify's inner loop); `Unreadable` names the first row that fits no leaf."""
    sha, head, length = _sha256, _pack_head, _pack_length
    try:
        if events and isinstance(events[0][1], UUID):
            return [
                sha(b"".join((b"\x00", head(p, o.bytes, v, len(n := t.encode())), n,
                              length(len(s)), s))).digest()
                for p, o, v, t, s in events
            ]  # fmt: skip
        canonical = _canonical_hex
        return [
            sha(b"".join((b"\x00", head(p, canonical(o), v, len(n := t.encode())), n,
                          length(len(s)), s))).digest()
            for p, o, v, t, s in events
        ]  # fmt: skip
    except Exception:  # a row that fits no leaf: found and named below
        return [hash_event(event)[1] for event in events]


def event_id(originator: bytes, version: int) -> str:
    """The event's id as the event feed names it: `{aggregate id}:{version}`."""
    return f"{UUID(bytes=originator)}:{version}"


def parse_event_id(text: str) -> tuple[bytes, int] | None:
    """(originator id bytes, version) of an `{aggregate id}:{version}` (None: not one)."""
    aggregate, _, version = text.partition(":")
    if not version.isascii() or not version.isdigit() or len(version) > 18:
        return None
    try:
        return UUID(aggregate).bytes, int(version)
    except ValueError:
        return None
