"""How an event is encoded in the store: the library's JSON transcoder, writing and reading
through `jsoncodec` (orjson) with the same JSON and the same values."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import JSONTranscoder

from lifeledger.jsoncodec import dumps_compact, holds_long_number, loads_plain

MARKER = b'"_type_"'  # how the library marks an encoded value (see `EventTranscoder`)


class EventTranscoder(JSONTranscoder):
    """The library's JSON transcoder on orjson, through `jsoncodec` (several times faster
    than the standard library: an import encodes every event, a catch-up decodes every one):
    the same JSON, the same values.

    The library marks an encoded value (a time, a UUID) as an object `{"_type_": name,
    "_data_": data}`. Writing, orjson hands times and dataclasses to the library's own
    transcodings; it would write a UUID or an Enum itself, so events hold none (their
    attributes are JSON's own types; `tests/unit/test_event_transcoder.py` checks every
    event class). What orjson refuses (integers beyond 64 bits, keys that are not text) is
    written by the standard library's encoder, set as the library's. Reading, a marked
    object whose name is registered becomes the value again, innermost first, as the
    library's hook does; an unknown name stays a plain object instead of failing the read:
    entries holding such objects are now refused (`check_storable`), but one stored before
    must not stop the projections. Text holding a run of 19 digits or more (perhaps an
    integer beyond 64 bits, which orjson would read as a float) is read by the library's parser."""

    def encode(self, obj: Any) -> bytes:
        return dumps_compact(obj, default=self._encode_obj)

    def decode(self, data: bytes) -> Any:
        if holds_long_number(data):
            return super().decode(data)
        value = loads_plain(data)
        if type(value) is not dict:
            return self._revive(value)
        marked = [
            key
            for key, item in value.items()
            if type(item) is dict and len(item) == 2 and "_type_" in item and "_data_" in item
        ]
        if len(marked) != data.count(MARKER):  # some are nested: walk the whole tree
            return self._revive(value)
        for key in marked:  # the usual case: the event's timestamp alone
            value[key] = self._revive(value[key])
        return value

    def _revive(self, value: Any) -> Any:
        if type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
            return value
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                value[key] = self._revive(item)
        if len(value) == 2 and "_data_" in value:
            name = value.get("_type_")
            transcoding = self.names.get(name) if type(name) is str else None
            if transcoding is not None:
                return transcoding.decode(value["_data_"])
        return value
