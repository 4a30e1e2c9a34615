"""The pull feed `GET /v1/events`, on both stores: every envelope a CloudEvents 1.0 event,
paging in ledger order gives every event once, filters run in the database, a subscriber
limited to some provinces receives nothing of the others, and the profiles hide what they
promise to hide."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat
from tests.api.conftest import Api, Caller, is_problem, post_act, stage, staged_id
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_marriage,
    a_pin,
    a_revocation,
)

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.jurisdiction import pins_in
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.envelopes import EVENT_TYPES, PREFIX, cloud_event
from lifeledger.feed.profiles import visible
from lifeledger.feed.reader import Reader
from lifeledger.projections import event_feed

HANOI = "001-PH-HOANKIEM"
NAMES = ("Nguyễn", "Trần", "Bích", "Bình", "Đông Hòa", "Trạm y tế")


def subscriber(
    api: Api, name: str, provinces: tuple[str, ...] = (), profile: str = "full"
) -> Caller:
    key = api.context.users.add(name, ["subscriber"], provinces, profile)
    return Caller(api.client, key)


def accepted(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def ledger_acts(api: Api) -> dict[str, str]:
    """Acts and entries of both provinces: a Thái Bình (034) birth whose mother is of Hà Nội
    (001), a Hà Nội birth, a marriage across both, its divorce, a correction, a revocation,
    a death, an entry staged then approved and one rejected."""
    officer = api.national_officer
    tb, hn = a_pin("M", 1990, "034"), a_pin("F", 1992, "001")
    mother = a_pin("F", 1965, "001")
    tb_birth = a_birth(tb, "1990-01-01", mother=mother)
    hn_birth = a_birth(hn, "1992-02-02", authority=HANOI)
    for entry in (tb_birth, hn_birth):
        accepted(post_act(officer, entry))
    marriage = a_marriage(tb, hn, "2015-05-05")
    accepted(post_act(officer, marriage))
    accepted(post_act(officer, a_divorce(marriage, "2018-01-01")))
    change = {"field": "child.given_name", "before": "An", "after": "Ân"}
    accepted(post_act(officer, a_correction(tb_birth, tb, [change])))
    other = a_birth(a_pin("M", 1993, "001"), "1993-03-03", authority=HANOI)
    accepted(post_act(officer, other))
    accepted(officer.post("/v1/revocations", json=a_revocation(other["register"])))
    accepted(post_act(officer, a_death(a_pin("M", 1940, "001"), "2020-01-01", authority=HANOI)))
    staged = [
        a_birth(a_pin("F", 2000, "034"), "2000-01-01"),
        a_birth(a_pin("M", 2001), "2001-01-01"),
    ]
    stage(api.everyone, *staged)
    accepted(api.national_approver.post(f"/v1/entries/{staged_id(staged[0])}/approve"))
    rejected = api.national_approver.post(
        f"/v1/entries/{staged_id(staged[1])}/reject", json={"reason": "trùng lặp"}
    )
    accepted(rejected)
    api.settle()
    return {"tb": tb, "hn": hn, "mother": mother}


def every_event(caller: Caller, limit: int = 3, **params: Any) -> list[dict[str, Any]]:
    """Page through the whole feed; checks every page's order and `next_after`."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        response = caller.get("/v1/events", params={"after": after, "limit": limit, **params})
        assert response.status_code == 200, response.text
        page = response.json()
        positions = [e["position"] for e in page["events"]]
        assert positions == sorted(positions) and all(p > after for p in positions)
        events += page["events"]
        if not page["events"]:
            assert page["next_after"] == max(after, page["position"])
            return events
        after = page["next_after"]


def parsed(event: dict[str, Any]) -> Any:
    return JSONFormat().read(None, json.dumps(event).encode())


def test_paging_gives_every_event_once_in_order_as_cloudevents(
    api: Api, ledger_acts: dict[str, str]
) -> None:
    national = subscriber(api, "downstream")
    events = every_event(national)
    assert len({e["id"] for e in events}) == len(events)
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert len(events) == 14  # 8 acts, a correction, a revocation, 2 staged, 2 decisions
    for event in events:
        ce = parsed(event)
        assert ce.get_specversion() == "1.0" and ce.get_type() in EVENT_TYPES
        assert ce.get_source() == api.context.settings.event_source
        assert ce.get_extension("position") == event["position"]
        assert ce.get_datacontenttype() == "application/json"
    types = [e["type"].removeprefix(PREFIX) for e in events]
    assert types[:3] == ["birth.registered.v1"] * 2 + ["marriage.registered.v1"]
    assert {"marriage.dissolved.v1", "act.corrected.v1", "act.revoked.v1"} <= set(types)
    assert {"entry.staged.v1", "entry.approved.v1", "entry.rejected.v1"} <= set(types)
    birth = events[0]
    assert birth["subject"] == f"{ledger_acts['tb']},{ledger_acts['mother']}"
    assert birth["id"] == f"{birth['data']['act']}:1"
    assert birth["data"]["parties"][0] == {"pin": ledger_acts["tb"], "role": "child", "sex": "M"}
    corrected = next(e for e in events if e["type"].endswith("act.corrected.v1"))
    assert corrected["data"]["changes"][0] == {
        "field": "child.given_name",
        "before": "An",
        "after": "Ân",
    }  # then the full name, as the ledger recorded it
    correction = next(e for e in events if e["type"].endswith("correction.registered.v1"))
    assert correction["data"]["act"] == corrected["data"]["correction"]
    assert correction["data"]["content"]["basis"] == "QĐ 17/2020/UBND"
    assert corrected["data"]["act"] == birth["data"]["act"]


def test_filters_are_applied(api: Api, ledger_acts: dict[str, str]) -> None:
    national = subscriber(api, "downstream")
    births = every_event(national, type=PREFIX + "birth.registered.v1")
    assert len(births) == 4 and {e["type"] for e in births} == {PREFIX + "birth.registered.v1"}
    hanoi = every_event(national, province="001")
    # Every Hà Nội act, and the Thái Bình acts naming a person of Hà Nội.
    assert all("001" in json.dumps(e["data"]) for e in hanoi)
    assert ledger_acts["mother"] in hanoi[0]["subject"]
    both = every_event(national, province=["001", "034"])
    assert len(both) == len(every_event(national))


def test_a_provincial_subscriber_never_receives_another_province(
    api: Api, ledger_acts: dict[str, str]
) -> None:
    thai_binh = subscriber(api, "tb-only", ("034",))
    events = every_event(thai_binh, limit=2)
    national = every_event(subscriber(api, "downstream"))
    assert 0 < len(events) < len(national)
    for event in events:
        assert not [pin for pin in pins_in(event) if pin[:3] != "034"], event
        assert "001-PH-HOANKIEM" not in json.dumps(event)
    mixed = events[0]  # the Thái Bình birth, its mother outside: shown by her role only
    assert mixed["subject"] == ledger_acts["tb"]
    assert {"role": "mother", "pin": None, "outside_jurisdiction": True} in mixed["data"]["parties"]
    assert mixed["data"]["content"]["mother"] == {"pin": None, "outside_jurisdiction": True}
    # The attacks: another province's filter, a position of another province's event.
    problem = is_problem(thai_binh.get("/v1/events", params={"province": "001"}), 422)
    assert problem["code"] == "province-not-subscribed" and "034" in problem["detail"]
    hanoi_only = [e for e in national if e["position"] not in {x["position"] for x in events}]
    for event in hanoi_only:
        page = thai_binh.get("/v1/events", params={"after": event["position"] - 1, "limit": 1})
        assert all(e["position"] != event["position"] for e in page.json()["events"])


def test_profiles_hide_what_they_promise(api: Api, ledger_acts: dict[str, str]) -> None:
    statistics = every_event(subscriber(api, "stats", profile="statistics"))
    identity = every_event(subscriber(api, "ids", profile="identity"))
    assert len(statistics) == len(identity) == 14
    for event in statistics:
        text = json.dumps(event, ensure_ascii=False)
        assert "subject" not in event and not pins_in(text), text
        assert not any(name in text for name in NAMES), text
        assert event["data"]["province"] in ("034", "001")
        parsed(event)
    assert statistics[0]["data"]["parties"][0] == {"role": "child", "sex": "M"}
    for event in identity:
        text = json.dumps(event, ensure_ascii=False)
        assert not any(name in text for name in NAMES), text
        parsed(event)
    divorce = next(e for e in identity if e["type"].endswith("marriage.dissolved.v1"))
    assert divorce["data"]["content"]["court"] == {"effective_on": "2018-01-01"}
    assert identity[0]["data"]["content"]["child"] == {
        "pin": ledger_acts["tb"],
        "sex": "M",
        "birth_date": "1990-01-01",
    }


def test_bad_input_is_a_problem(api: Api, ledger_acts: dict[str, str]) -> None:
    national = subscriber(api, "downstream")
    head = api.context.ledger.position()
    beyond = national.get("/v1/events", params={"after": head + 1})
    assert is_problem(beyond, 422, "after-beyond-position")["field"] == "after"
    for params in ({"after": -1}, {"limit": 0}, {"limit": 1001}, {"type": "x.y"}):
        is_problem(national.get("/v1/events", params=params), 422, "invalid-request")
    is_problem(api.officer.get("/v1/events"), 403, "forbidden")
    assert national.get("/v1/events", params={"after": head}).json()["events"] == []


def test_unknown_profile_is_refused(api: Api) -> None:
    body = {"name": "x", "roles": ["subscriber"], "profile": "everything"}
    is_problem(api.admin.post("/v1/users", json=body), 422, "invalid-request")
    made = accepted(api.admin.post("/v1/users", json={**body, "profile": "identity"}))
    assert made["profile"] == "identity"


def test_pages_read_while_writes_commit_miss_nothing(api: Api) -> None:
    """A writer registers acts in another thread while a subscriber pages: the pages together
    hold every act once, in order (a page never ends beyond what has committed)."""
    national = subscriber(api, "downstream")
    ledger, written = api.context.ledger, 60
    done = threading.Event()

    def write() -> None:
        try:
            for n in range(written):
                birth = a_birth(a_pin("M", 1990, "034"), "1990-01-01", number=f"c{n}")
                ledger.register(birth, Recorder("writer"))
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen: list[int] = []
    after = 0
    while True:
        finished = done.is_set()
        page = national.get("/v1/events", params={"after": after, "limit": 7}).json()
        seen += [e["position"] for e in page["events"]]
        after = page["next_after"]
        if finished and not page["events"] and page["position"] >= ledger.position():
            break
        if not page["events"]:
            time.sleep(0.01)
    writer.join()
    assert len(seen) == written and seen == sorted(set(seen))


@pytest.mark.parametrize(
    "scope, provinces, types, profile",
    [
        ((), (), (), "full"),
        (("034",), (), (), "full"),
        (("034", "001"), ("001",), (), "identity"),
        ((), (), (PREFIX + "birth.registered.v1", PREFIX + "act.corrected.v1"), "statistics"),
        (("001",), (), (PREFIX + "entry.approved.v1",), "full"),
    ],
)
def test_the_live_streams_shared_page_picks_what_the_database_picks(
    api: Api,
    ledger_acts: dict[str, str],
    scope: tuple[str, ...],
    provinces: tuple[str, ...],
    types: tuple[str, ...],
    profile: str,
) -> None:
    """The live stream reads one unfiltered page for every stream at a position and each
    picks its own events in it (`reader.select`): exactly what the pull feed's query picks,
    at any page size."""
    api.settle()
    db = api.context.projections.db
    reader = Reader(frozenset(scope), profile, "urn:x", provinces, types)
    for limit in (1, 3, 1000):
        after = 0
        while True:
            picked = feed_reader.select(event_feed.page(db, after, limit), reader)
            queried = feed_reader.read(db, reader, after, limit)
            # The query skips to its limit of the reader's events, the page to its limit of
            # all: the same events up to the shorter one's end.
            end = min(picked.next_after, queried.next_after)
            assert [i for i in picked.items if i[0] <= end] == [
                i for i in queried.items if i[0] <= end
            ]
            if end >= queried.position:
                break
            after = end


@pytest.mark.parametrize(
    "scope, profile",
    [((), "full"), (("034",), "full"), (("001",), "identity"), ((), "statistics")],
)
def test_every_envelope_is_what_the_cloudevents_sdk_makes_of_it(
    api: Api, ledger_acts: dict[str, str], scope: tuple[str, ...], profile: str
) -> None:
    """Envelopes are written without the SDK's object (`envelopes.to_json`): for every event,
    the SDK's own event made of the same attributes and data (each checked by the SDK) is
    what the written bytes read back as."""
    db = api.context.projections.db
    reader = Reader(frozenset(scope), profile, "urn:x")
    page = event_feed.page(db, 0, 1000)
    written = dict(feed_reader.select(page, reader).items)
    types = set()
    for event in page.events:
        if event.position in written:
            data, subject = visible(event, profile, reader.scope)
            made = cloud_event(event, "urn:x", data, subject)
            read = JSONFormat().read(None, written[event.position])
            assert read.get_attributes() == made.get_attributes()
            assert read.get_data() == made.get_data()
            types.add(event.type)
    assert len(types) >= 6
