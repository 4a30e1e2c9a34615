"""Reading the ledger's log in pages: every notification counts towards the page's end, only
those of the wanted topics come with their events (on both stores)."""

from __future__ import annotations

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.ledger import Ledger
from lifeledger.stored_events import read_log
from tests.builders import a_birth, a_pin

OFFICER = Recorder("officer-1", office="034-XA-DONGHOA")
REGISTRATIONS = "lifeledger.domain.registration:Registration."


def test_a_page_counts_every_notification_and_carries_the_wanted_ones(ledger: Ledger) -> None:
    for year in (1990, 1991, 1992):
        ledger.register(a_birth(a_pin("F", year), f"{year}-01-02", "F"), OFFICER)
    everything = read_log(ledger.recorder, 1, 1000)
    assert everything.count == ledger.position() == everything.last
    topics = {n.topic for n in everything.wanted}
    assert any(t.startswith(REGISTRATIONS) for t in topics) and len(topics) > 1

    births = read_log(ledger.recorder, 1, 1000, [REGISTRATIONS])
    assert (births.last, births.count) == (everything.last, everything.count)
    assert [n.id for n in births.wanted] == [
        n.id for n in everything.wanted if n.topic.startswith(REGISTRATIONS)
    ]
    assert len(births.wanted) == 3 and all(n.state for n in births.wanted)

    second = read_log(ledger.recorder, 3, 2, [REGISTRATIONS])
    assert (second.last, second.count) == (4, 2)
    assert read_log(ledger.recorder, everything.last + 1, 10).count == 0
    assert read_log(ledger.recorder, everything.last + 1, 10).last == everything.last


def test_a_topic_is_matched_by_its_prefix_literally(ledger: Ledger) -> None:
    """`_` and `%` in a prefix are not wildcards."""
    ledger.register(a_birth(a_pin("M", 1990), "1990-01-02", "M"), OFFICER)
    lookalike = REGISTRATIONS.replace(".", "_")
    assert read_log(ledger.recorder, 1, 100, [lookalike]).wanted == []
    assert read_log(ledger.recorder, 1, 100, ["%"]).wanted == []
