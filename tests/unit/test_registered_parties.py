"""A registered act's parties, (PIN, role) of each person it concerns: found when the act is
recorded, and by the upcaster for events stored before they carried them (class version 1),
for every kind and through the library's own mapper for each event class actually stored."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex

from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.registration import EVENT_OF_KIND, Registration
from lifeledger.domain.vocabulary import ActKind
from lifeledger.projections import identity
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_guardianship,
    a_marriage,
    a_parentage,
)

CHILD, MOTHER, FATHER = "034210000001", "034185000002", "034080000003"
MARRIAGE = a_marriage(FATHER, MOTHER, "2005-01-01")

ENTRIES: dict[str, tuple[dict[str, Any], list[str], list[tuple[str, str]]]] = {
    # kind: (entry, the PINs the act concerns, its parties)
    ActKind.BIRTH: (
        a_birth(CHILD, "2010-01-01", mother=MOTHER, father=FATHER),
        [CHILD, FATHER, MOTHER],
        [(CHILD, "child"), (MOTHER, "mother"), (FATHER, "father")],
    ),
    ActKind.MARRIAGE: (
        MARRIAGE,
        [FATHER, MOTHER],
        [(FATHER, "spouse"), (MOTHER, "spouse")],
    ),
    ActKind.DIVORCE: (
        a_divorce(MARRIAGE, "2015-01-01"),
        [FATHER, MOTHER],  # found by the rules: the divorce names the marriage only
        [(FATHER, "spouse"), (MOTHER, "spouse")],
    ),
    ActKind.DEATH: (a_death(FATHER, "2020-01-01"), [FATHER], [(FATHER, "deceased")]),
    ActKind.PARENTAGE: (
        a_parentage(FATHER, CHILD, "father", "2011-01-01"),
        [CHILD, FATHER],
        [(FATHER, "parent"), (CHILD, "child")],
    ),
    ActKind.ADOPTION: (
        a_parentage(MOTHER, CHILD, "adoptive_mother", "2012-01-01"),
        [CHILD, MOTHER],
        [(MOTHER, "parent"), (CHILD, "child")],
    ),
    ActKind.GUARDIANSHIP_OPENED: (
        a_guardianship(CHILD, MOTHER, "2013-01-01"),
        [CHILD, MOTHER],
        [(CHILD, "ward"), (MOTHER, "guardian")],
    ),
    ActKind.GUARDIANSHIP_ENDED: (
        a_guardianship(CHILD, MOTHER, "2014-01-01", ended=True),
        [CHILD, MOTHER],
        [(CHILD, "ward"), (MOTHER, "guardian")],
    ),
    ActKind.CORRECTION: (
        a_correction(
            a_birth(CHILD, "2010-01-01"),
            CHILD,
            [{"field": "child.given_name", "before": "An", "after": "Anh"}],
        ),
        [CHILD],
        [(CHILD, "subject")],
    ),
}


def test_every_kind_has_an_example() -> None:
    assert set(ENTRIES) == set(ActKind) == set(EVENT_OF_KIND)


def parties(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"pin": pin, "role": role} for pin, role in pairs]


def registered(kind: str) -> Registration.Registered:
    entry, pins, _ = ENTRIES[kind]
    source, recorded_by = {"kind": "digitized"}, {"user": "officer-1"}
    (event,) = Registration.record(parse_act(entry), pins, source, recorded_by).collect_events()
    assert isinstance(event, Registration.Registered)
    return event


@pytest.mark.parametrize("kind", ENTRIES)
def test_an_act_is_recorded_with_its_parties(kind: str) -> None:
    event = registered(kind)
    assert event.parties == parties(ENTRIES[kind][2])
    assert all(type(p["role"]) is str for p in event.parties)  # JSON's own type, not an enum


@pytest.mark.parametrize("kind", ENTRIES)
def test_the_upcaster_finds_the_parties_of_a_version_1_state(kind: str) -> None:
    entry, pins, expected = ENTRIES[kind]
    state = {"kind": kind, "pins": pins, "content": parse_act(entry).content, "other": 1}
    EVENT_OF_KIND[kind].upcast_v1_v2(state)
    assert state["parties"] == parties(expected)
    assert state["other"] == 1 and state["pins"] == pins


def test_a_person_named_without_a_pin_is_no_party() -> None:
    entry = a_birth(CHILD, "2010-01-01", father=FATHER)
    entry["mother"] = {"full_name": "Trần Thị Bích", "birth_year": 1985}
    content = parse_act(entry).content
    state: dict[str, Any] = {"kind": "birth", "pins": [CHILD, FATHER], "content": content}
    Registration.BirthRegistered.upcast_v1_v2(state)
    assert state["parties"] == parties([(CHILD, "child"), (FATHER, "father")])


def mapper() -> Mapper[Any]:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    return Mapper(transcoder=transcoder)


@pytest.mark.parametrize("kind", ENTRIES)
def test_each_stored_event_class_is_upcast_by_the_library(kind: str) -> None:
    """The subclasses (`BirthRegistered`, …) are the classes stored: each reads a version-1
    state (no `class_version`, no `parties`) through the library's mapper."""
    event, event_class, library = registered(kind), EVENT_OF_KIND[kind], mapper()
    assert type(event) is event_class and event_class.class_version == 2
    stored = library.to_stored_event(event)
    state = library.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2 and state.pop("parties") == event.parties
    v1 = dataclasses.replace(stored, state=library.transcoder.encode(state))
    read = library.to_domain_event(v1)
    assert type(read) is event_class
    assert read.parties == parties(ENTRIES[kind][2])
    assert vars(read) == vars(library.to_domain_event(stored)) == vars(event)


def test_a_version_2_event_is_read_as_stored_and_not_upcast_again() -> None:
    event = registered(ActKind.MARRIAGE)
    changed = copy.copy(event)
    object.__setattr__(changed, "parties", [{"pin": "x", "role": "y"}])
    read = mapper().to_domain_event(mapper().to_stored_event(changed))
    assert isinstance(read, Registration.MarriageRegistered)
    assert read.parties == [{"pin": "x", "role": "y"}]


def test_the_aggregate_keeps_its_parties() -> None:
    entry, pins, expected = ENTRIES[ActKind.DIVORCE]
    registration = Registration.record(parse_act(entry), pins, {}, {})
    assert registration.parties == parties(expected)


def test_the_read_side_takes_the_roles_from_the_events_parties() -> None:
    """A stored event's parties are the roles it was recorded with: the projections read
    them, they do not derive them again from the content."""
    stated: dict[str, Any] = {"parties": parties([("079200012345", "guardian")])}
    event = dataclasses.replace(registered(ActKind.BIRTH), **stated)
    assert identity.roles(event) == [("079200012345", "guardian")]
