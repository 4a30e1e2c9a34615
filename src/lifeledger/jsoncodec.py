"""The one JSON module: `loads` and `dumps` as the ledger reads and writes JSON text, and the
compact form the event transcoder (`event_codec`) writes and reads. The only module that
calls orjson.

Reading JSON text fast and exactly: orjson (several times faster than the standard library;
catch-ups and imports read a great deal of JSON), with the standard library's parser where
the two would differ: text holding a number orjson would not read exactly, and text orjson
refuses but the standard library reads (a lone surrogate, NaN), so that what such text
becomes, or why it is refused, stays as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

DIGITS_ONLY = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""Every digit as "0", everything else as " ": a run of digits is then a run of zeros (a
`bytes.translate` and a substring search, much faster than a regular expression)."""
LONG_RUN = b"0" * 19


def holds_long_number(data: bytes) -> bool:
    """Does this JSON hold a run of 19 digits or more (perhaps an integer beyond 64 bits, which
    orjson would read as a float)?"""
    return LONG_RUN in data.translate(DIGITS_ONLY)


def loads(text: str | bytes) -> Any:
    """The value of JSON text, as `json.loads` gives it (and its error, when it refuses).
    Text nested too deeply for either parser, or holding a number of more digits than Python
    turns into an integer (4,300), is refused as not JSON with the same error (the standard
    library would raise RecursionError or ValueError)."""
    data = text.encode() if isinstance(text, str) else text
    if not holds_long_number(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (RecursionError, ValueError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else "a number too long"
        document = text if isinstance(text, str) else text.decode(errors="replace")
        raise json.JSONDecodeError(reason, document, 0) from None


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)
_ORJSON = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME  # times and dataclasses as `str` gives them, like json
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> str:
    """JSON text as the read models store it (sorted keys, UTF-8 kept), by orjson (several
    times faster: catch-up encodes every act); the standard library's encoder for what orjson
    refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        return _JSON.encode(value)


def dumps_unsorted(value: Any) -> str:
    """Compact JSON text, keys in their order, UTF-8 kept, by the standard library: the API's
    own tables keep answers and import reports so."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Verbatim:
    """JSON text that `dumps_envelope` writes as it is, without reading it first."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps_envelope(value: Any) -> bytes:
    """Compact JSON bytes of a CloudEvents envelope (`feed.envelopes.to_json`): keys in their
    order, UTF-8 kept, times in RFC 3339 with `Z` as the CloudEvents JSON format writes them,
    `Verbatim` text as it is; by orjson (the SDK's own writer, the standard library's encoder,
    took a third of a feed page's time); the standard library's for what orjson refuses
    (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_fragment, option=orjson.OPT_UTC_Z)
    except orjson.JSONEncodeError:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_rfc3339
        ).encode()


def _fragment(value: Any) -> Any:
    if isinstance(value, Verbatim):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Verbatim):  # the standard library cannot write text as it is
        return loads(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_COMPACT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps_compact(value: Any, default: Callable[[Any], Any]) -> bytes:
    """Compact JSON bytes, UTF-8 kept, as the eventsourcing library's transcoder writes them,
    with `default` for what JSON has no form for (times and dataclasses included): by orjson;
    the standard library's encoder for what orjson refuses (integers beyond 64 bits, keys
    that are not text)."""
    try:
        return orjson.dumps(value, default=default, option=_COMPACT)
    except orjson.JSONEncodeError:
        return json.dumps(
            value, default=default, separators=(",", ":"), ensure_ascii=False
        ).encode()


def loads_plain(data: bytes | str) -> Any:
    """JSON bytes read by orjson alone, for text that `holds_long_number` says has no run of
    19 digits (orjson would read a longer integer as a float)."""
    return orjson.loads(data)
