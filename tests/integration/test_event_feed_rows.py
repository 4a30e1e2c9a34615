"""The event feed's stored rows, on both stores: a registered act's feed row keeps no content
(the act's own row has it), yet the feed serves each registered act exactly as
`envelopes.registered` makes it from the stored event, with the content as registered even
after a correction changed the act, in an incremental run and after a rebuild alike."""

from __future__ import annotations

import dataclasses

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.registration import Registration
from lifeledger.feed import envelopes
from lifeledger.feed.envelopes import FeedEvent
from lifeledger.jsoncodec import dumps, loads
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, event_feed
from lifeledger.projections.runner import Envelope
from tests.builders import a_birth, a_correction, a_death, a_marriage, a_pin


def as_recorded(ledger: Ledger) -> dict[int, FeedEvent]:
    """Each registered act's feed event as made from its stored event, through JSON as the
    read model keeps it."""
    found: dict[int, FeedEvent] = {}
    for notification in ledger.recorder.select_notifications(start=1, limit=1000):
        event = ledger.mapper.to_domain_event(notification)
        if isinstance(event, Registration.Registered):
            made = envelopes.registered(Envelope(notification.id, event, notification.topic))
            found[notification.id] = dataclasses.replace(made, data=loads(dumps(made.data)))
    return found


def served_registrations(projections: Projections) -> dict[int, FeedEvent]:
    """The registered acts' feed events as read, each with its content read into `data`
    (the feed keeps it apart, as text); their envelopes are the same bytes either way."""
    registered = [envelopes.PREFIX + t for t in envelopes.ACT_TYPES.values()]
    page = event_feed.page(projections.db, 0, 1000, types=registered)
    served = {}
    for event in page.events:
        assert event.content is not None
        read = dataclasses.replace(event, data=event.whole, content=None)
        assert envelopes.to_json(event, "urn:x") == envelopes.to_json(read, "urn:x")
        served[event.position] = read
    return served


def test_registered_acts_are_served_as_recorded(ledger: Ledger, officer: Recorder) -> None:
    child, mother = a_pin("M", 1990, "034"), a_pin("F", 1965, "001")
    birth = a_birth(child, "1990-01-01", mother=mother)
    projections = Projections(ledger)
    try:
        ledger.register(birth, officer)
        projections.runner.catch_up()  # the birth's rows in a batch of their own
        change = {"field": "child.given_name", "before": "An", "after": "Ân"}
        ledger.register(a_correction(birth, child, [change]), officer)
        ledger.register(a_marriage(child, a_pin("F", 1992, "001"), "2015-05-05"), officer)
        ledger.register(a_death(a_pin("M", 1940, "034"), "2020-01-01"), officer)
        projections.runner.catch_up()
        expected = as_recorded(ledger)
        assert len(expected) == 4  # the birth, the correction act, the marriage, the death
        assert served_registrations(projections) == expected
        first = min(expected)
        assert expected[first].data["content"]["child"]["given_name"] == "An"
        act = projections.db.row("SELECT content FROM ll_act WHERE act_id = %s", (
            expected[first].data["act"],))  # fmt: skip
        assert act is not None and loads(act["content"])["child"]["given_name"] == "Ân"
        projections.runner.rebuild()
        assert served_registrations(projections) == expected
    finally:
        projections.close()
