"""The event store reads with orjson: the same values as the library's own transcoder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex

from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.person import Person
from lifeledger.domain.registration import Registration
from lifeledger.event_codec import EventTranscoder
from lifeledger.jsoncodec import dumps, loads

STATES: list[Any] = [
    {"timestamp": datetime(2026, 11, 29, 9, 0, tzinfo=UTC), "pins": ["034126000003"]},
    {"nested": [{"id": UUID(int=7)}, [datetime(1999, 1, 1, tzinfo=UTC), 1, 2.5, None, True]]},
    {"page": 99999999999999999999999, "negative": -9223372036854775809, "big": 2**64},
    {"fits": 9223372036854775807, "float": 1e23, "text": "Nguyễn Văn Đức 0123456789012345678"},
    {"deep": {"a": {"b": {"c": [{"d": UUID(int=1)}]}}}, "empty": {}, "list": []},
    # The reader revives top-level values alone unless the data holds more markers:
    {"timestamp": datetime(2026, 1, 1, tzinfo=UTC), "content": {"child": {"id": UUID(int=3)}}},
    {"a": datetime(2026, 1, 1, tzinfo=UTC), "b": UUID(int=2), "note": 'a "_type_" as text'},
    [datetime(2026, 1, 1, tzinfo=UTC), {"id": UUID(int=5)}],
]


def transcoders() -> tuple[JSONTranscoder, EventTranscoder]:
    library, ours = JSONTranscoder(), EventTranscoder()
    for transcoder in (library, ours):
        transcoder.register(UUIDAsHex())
        transcoder.register(DatetimeAsISO())
    return library, ours


@pytest.mark.parametrize("state", STATES)
def test_reads_back_what_the_library_reads(state: Any) -> None:
    library, ours = transcoders()
    data = library.encode(state)
    assert ours.decode(data) == library.decode(data) == state
    assert shape(ours.decode(data)) == shape(state)  # ints stay ints, UUIDs UUIDs


def test_what_orjson_refuses_is_written_as_the_library_writes_it() -> None:
    library, ours = transcoders()
    state = {"page": 2**70, "at": datetime(2026, 1, 1, tzinfo=UTC), "name": "Đức", 3: [UUID(int=1)]}
    assert ours.encode(state) == library.encode(state)


def shape(value: Any) -> Any:
    """The types of a value and of everything in it (1 == 1.0, but not for a ledger)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value)


def test_an_unknown_encoded_name_stays_a_plain_object_instead_of_failing_the_read() -> None:
    """An import once stored such an object in an act's content (now refused): reading it
    back must not stop every projection."""
    library, ours = transcoders()
    state = {"content": {"child": {"note": {"_type_": "nope", "_data_": 1}}}}
    assert ours.decode(library.encode(state)) == state
    dated = {"timestamp": datetime(2026, 1, 1, tzinfo=UTC), "note": {"_type_": "x", "_data_": 1}}
    assert ours.decode(library.encode(dated)) == dated


def test_the_read_models_json_keeps_what_orjson_cannot_encode() -> None:
    """`dumps` writes with orjson and falls back to the standard library (same values)."""
    value = {"page": 2**70, "b": "Đức", "a": datetime(2026, 1, 2, 3, 4, tzinfo=UTC)}
    assert json.loads(dumps(value)) == {
        "a": "2026-01-02 03:04:00+00:00",
        "b": "Đức",
        "page": 2**70,
    }
    assert list(json.loads(dumps({"b": 1, "a": {"d": 1, "c": 2}}))) == ["a", "b"]
    assert json.loads(dumps({3: "Đức"})) == {"3": "Đức"} and "Đức" in dumps({3: "Đức"})


def test_the_read_models_json_reads_back_exactly() -> None:
    """`loads` reads with orjson, but integers orjson would turn into floats read exactly."""
    for value in ({"page": 2**70, "name": "Đức"}, {"fits": 2**63 - 1, "f": 1.5}, [1, "1"]):
        assert loads(dumps(value)) == value
        assert shape(loads(dumps(value))) == shape(value)


EVENT_CLASSES = [
    member
    for aggregate in (Registration, Person, StagedEntry)
    for member in vars(aggregate).values()
    if isinstance(member, type) and issubclass(member, DomainEvent)
]
JSON_TYPES = (str, int, float, bool, type(None), Any)


def json_native(hint: Any) -> bool:
    """Built of JSON's own types only (no UUID, Enum, date…), which orjson writes exactly as
    the library's encoder does."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (list, dict, Union, UnionType):
        return all(json_native(arg) for arg in args)
    return hint in JSON_TYPES


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda c: c.__qualname__)
def test_events_hold_only_what_orjson_writes_as_the_library_does(event_class: type) -> None:
    hints = get_type_hints(event_class)
    # the library takes the originator's id out of the state; times go to its transcoding
    del hints["originator_id"], hints["timestamp"]
    state = {name: hint for name, hint in hints.items() if get_origin(hint) is not ClassVar}
    assert {name: hint for name, hint in state.items() if not json_native(hint)} == {}


def test_writes_what_the_library_writes() -> None:
    library, ours = transcoders()
    for state in (s for s in STATES if "UUID" not in repr(s)):  # events hold none (above)
        assert library.decode(ours.encode(state)) == state
        assert shape(library.decode(ours.encode(state))) == shape(state)
    typical = {"timestamp": STATES[0]["timestamp"], "content": {"a": [1, 2.5, "Đức", None]}}
    assert ours.encode(typical) == library.encode(typical)
