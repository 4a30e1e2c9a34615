"""Events already stored keep loading: an event store written before the registered events
carried their parties (`tests/data/ledger-v1.sqlite`, see `tests/data/README.md`) is read by
today's code. Every event loads, each act's parties are those the read side used to derive
from its content, and the read models built from it equal those of the same lines imported
today."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.acts import Reference
from lifeledger.domain.registration import Registration
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings
from tests.builders import a_correction, a_death

DATA = Path(__file__).parent.parent / "data"
DEMO = Path(__file__).parent.parent.parent / "src" / "lifeledger" / "demo" / "demo.jsonl"
OLD_PARTIES: dict[str, list[list[str]]] = json.loads((DATA / "ledger-v1-parties.json").read_text())
KINDS = {
    "birth",
    "marriage",
    "divorce",
    "death",
    "parentage",
    "adoption",
    "guardianship_opened",
    "guardianship_ended",
    "correction",
}


@pytest.fixture
def old_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """The stored ledger, copied (opening it writes beside it)."""
    copy = tmp_path / "ledger-v1.sqlite"
    shutil.copy(DATA / "ledger-v1.sqlite", copy)
    ledger = Ledger(Settings(database_url=f"sqlite:///{copy}"))
    yield ledger
    ledger.close()


def registered_events(ledger: Ledger) -> list[Registration.Registered]:
    events = [ledger.mapper.to_domain_event(n) for n in notifications(ledger)]
    return [e for e in events if isinstance(e, Registration.Registered)]


def notifications(ledger: Ledger) -> list[Any]:
    return list(ledger.recorder.select_notifications(1, 10_000))


def test_the_stored_events_are_version_1_and_cover_every_kind(old_ledger: Ledger) -> None:
    stored = notifications(old_ledger)
    assert len(stored) == 150
    assert all(b"class_version" not in n.state and b"parties" not in n.state for n in stored)
    assert {e.kind for e in registered_events(old_ledger)} == KINDS


def test_every_event_loads_and_every_act_has_the_parties_the_read_side_derived(
    old_ledger: Ledger,
) -> None:
    registered = {e.originator_id: e for e in registered_events(old_ledger)}
    assert len(registered) == len(OLD_PARTIES) == 52
    for act_id, event in registered.items():
        expected = OLD_PARTIES[str(act_id)]
        assert [[p["pin"], p["role"]] for p in event.parties] == expected, event.kind
    for aggregate_id in {n.originator_id for n in notifications(old_ledger)}:
        loaded: object = old_ledger.repository.get(aggregate_id)
        if isinstance(loaded, Registration):
            assert loaded.parties == registered[aggregate_id].parties


def test_new_acts_on_the_old_acts_are_checked_and_stored_as_version_2(old_ledger: Ledger) -> None:
    """A correction loads the old act it changes; a death, the old person it ends."""
    officer = Recorder("officer-1", office="034-XA-DONGHOA")
    birth = old_ledger.registration(Reference("034-XA-DONGHOA", "01/2010", "901"))
    assert birth is not None and birth.parties == [{"pin": "034310000901", "role": "child"}]
    target = {"register": birth.reference}
    change = [{"field": "child.given_name", "before": "Mơ", "after": "Mai"}]
    fixed = a_correction(target, "034310000901", change, book="01/2021", number="990")
    deceased = a_death("034058000203", "2021-03-04", book="01/2021", number="991")
    for entry in (fixed, deceased):
        assert old_ledger.register(entry, officer).status == "accepted"
    newest = registered_events(old_ledger)[-2:]
    assert [(e.kind, e.parties) for e in newest] == [
        ("correction", [{"pin": "034310000901", "role": "subject"}]),
        ("death", [{"pin": "034058000203", "role": "deceased"}]),
    ]
    acts = [n for n in notifications(old_ledger)[150:] if "Registered" in n.topic]
    assert [json.loads(n.state)["class_version"] for n in acts] == [2, 2]
    assert old_ledger.registration(Reference("034-XA-DONGHOA", "01/2010", "901")) is not None


def test_the_read_models_of_the_old_events_equal_those_of_the_same_lines_imported_today(
    old_ledger: Ledger, tmp_path: Path
) -> None:
    old = Projections(old_ledger)
    assert old.runner.rebuild() == old_ledger.position()
    fresh_ledger = Ledger(Settings(database_url=f"sqlite:///{tmp_path}/today.sqlite"))
    summary = import_files(
        fresh_ledger,
        [DEMO, DATA / "ledger-v1-extra.jsonl"],
        approve_as="approver-1",
        entered_by="op-01",
    )
    assert summary.counts["accepted"] == 52
    fresh = Projections(fresh_ledger)
    fresh.runner.catch_up()
    try:
        pins = sorted({pin for parties in OLD_PARTIES.values() for pin, _ in parties})
        assert len(pins) == 31
        for pin in pins:
            document = old.person(pin).data
            assert document is not None and document["pin"] == pin
            assert without_times(document) == without_times(fresh.person(pin).data)
        query = "SELECT act_id, pin, role FROM ll_act_person ORDER BY act_id, pin, role"
        assert old.db.rows(query) == fresh.db.rows(query)
    finally:
        old.close()
        fresh.close()
        fresh_ledger.close()


def without_times(value: Any) -> Any:
    """A document without the times its acts were recorded at (the two ledgers differ in that)."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k != "recorded_at"}
    if isinstance(value, list):
        return [without_times(item) for item in value]
    return value
