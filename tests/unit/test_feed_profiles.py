"""What each data profile and a subscriber's provinces leave of a feed event (no I/O)."""

from __future__ import annotations

import dataclasses
import json

from lifeledger.domain.jurisdiction import pins_in
from lifeledger.feed.envelopes import FeedEvent, to_json
from lifeledger.feed.profiles import HIDDEN, _Scope, visible

CHILD, MOTHER = "034090000001", "001165000002"
EVENT = FeedEvent(
    position=7,
    event_id="act-1:1",
    type="vn.lifeledger.birth.registered.v1",
    time="2026-01-01T00:00:00+00:00",
    subject=(CHILD, MOTHER),
    provinces=("001", "034"),
    data={
        "act": "act-1",
        "kind": "birth",
        "reference": {
            "authority": "034-XA-DONGHOA",
            "authority_name": "UBND xã Đông Hòa",
            "book": "01/1990",
            "number": "1",
            "registered_on": "1990-01-02",
        },
        "occurred_on": "1990-01-01",
        "content": {
            "child": {"pin": CHILD, "full_name": "Nguyễn Văn An", "sex": "M", "birth_date": "1990"},
            "mother": {"pin": MOTHER, "full_name": "Trần Thị Bích", "residence": "Hà Nội"},
            "place": "Trạm y tế xã",
            "notes": f"mẹ có số định danh {MOTHER}",
        },
        "parties": [
            {"pin": CHILD, "role": "child", "sex": "M"},
            {"pin": MOTHER, "role": "mother"},
        ],
    },
)


def test_full_for_a_national_subscriber_is_everything() -> None:
    assert visible(EVENT, "full", frozenset()) == (EVENT.data, EVENT.subject)


def test_a_person_of_another_province_is_shown_by_role_only() -> None:
    data, subject = visible(EVENT, "full", frozenset({"034"}))
    assert subject == (CHILD,)
    assert data["parties"][1] == {"role": "mother", "pin": None, "outside_jurisdiction": True}
    assert data["content"]["mother"] == {"pin": None, "outside_jurisdiction": True}
    assert data["content"]["notes"] == f"mẹ có số định danh {HIDDEN}"
    assert MOTHER not in json.dumps(data) and "Bích" not in json.dumps(data, ensure_ascii=False)


def test_identity_keeps_pins_and_dates_only() -> None:
    data, subject = visible(EVENT, "identity", frozenset())
    assert subject == EVENT.subject
    assert data["content"] == {
        "child": {"pin": CHILD, "sex": "M", "birth_date": "1990"},
        "mother": {"pin": MOTHER},
    }
    assert "authority_name" not in data["reference"]
    assert data["occurred_on"] == "1990-01-01"


def test_statistics_has_no_pin_and_no_name() -> None:
    data, subject = visible(EVENT, "statistics", frozenset())
    assert subject == ()
    assert data == {
        "kind": "birth",
        "occurred_on": "1990-01-01",
        "province": "034",
        "registered_on": "1990-01-02",
        "parties": [{"role": "child", "sex": "M"}, {"role": "mother"}],
    }
    envelope = json.loads(to_json(EVENT, "urn:x", data, subject))
    assert "subject" not in envelope and envelope["position"] == 7


def test_ids_that_hold_twelve_digits_are_not_taken_for_pins() -> None:
    act = "5f0e8a1c-3b7d-5c2e-9a4f-001234567890"
    event = FeedEvent(7, f"{act}:1", "t", "2026-01-01T00:00:00+00:00", (), ("034",), {"act": act})
    assert visible(event, "full", frozenset({"034"}))[0] == {"act": act}


def test_a_reader_holding_every_pins_province_gets_the_event_as_it_is() -> None:
    """No walk when nothing is outside the reader's provinces: what the walk would leave."""
    both = frozenset({"001", "034"})
    assert visible(EVENT, "full", both) == (EVENT.data, EVENT.subject)
    assert _Scope(both).walk(EVENT.data) == EVENT.data
    assert visible(EVENT, "full", frozenset({"034", "035"}))[0] != EVENT.data


def test_a_pin_after_an_escape_in_the_json_text_is_still_found() -> None:
    """PINs are looked for in each string as read: in the JSON text, "\\n" would hide one."""
    for escaped in ("\n", "\x01"):  # written as `\n` and `\u0001` in JSON text
        data = {**EVENT.data, "content": {"notes": f"dòng một{escaped}{MOTHER}"}}
        event = dataclasses.replace(EVENT, data=data, subject=(CHILD,))
        assert "001" in event.pin_provinces
        shown, _ = visible(event, "full", frozenset({"034"}))
        assert shown["content"]["notes"] == f"dòng một{escaped}{HIDDEN}"
        assert pins_in(data) >= {MOTHER, CHILD}
