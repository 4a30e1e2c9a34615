"""Webhooks, on both stores, to a real HTTP receiver on 127.0.0.1: events arrive in ledger
order, one per POST, exactly as the pull feed hands them to the subscription's owner, signed
so that the `standardwebhooks` verifier accepts them; a receiver failing for a while gets
everything once it recovers; too many failures pause the subscription with the reason; a
subscription never carries what its owner may not read; bad URLs (SSRF) and filters are
refused with nothing made; another subscriber's subscription answers as an unknown one."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from tests.api.conftest import Api, Caller, api_settings, is_problem, post_act, running_api
from tests.builders import a_birth, a_pin
from tests.receiver import receiving

from lifeledger.api.timestamps import now
from lifeledger.domain.jurisdiction import pins_in
from lifeledger.feed.subscriptions import SubscriptionStore
from lifeledger.feed.webhooks import CONTENT_TYPE, Deliverer

HANOI = "001-PH-HOANKIEM"
NAMES = ("Nguyễn", "Trần", "Bích", "Bình", "Đông Hòa")
LOOPBACK = ["127.0.0.0/8"]
QUICK = {
    "webhook_allowed_networks": LOOPBACK,
    "webhook_backoff_base_seconds": 0.01,
    "webhook_backoff_cap_seconds": 0.05,
    "webhook_max_failures": 4,
    "webhook_timeout_seconds": 2,
    "webhook_lease_seconds": 5,
}


@pytest.fixture
def hooks(database_url: str) -> Iterator[Api]:
    """The app delivering webhooks itself, to loopback receivers, with tiny backoffs."""
    yield from running_api(api_settings(database_url, **QUICK))


def subscriber(
    api: Api, name: str, provinces: tuple[str, ...] = (), profile: str = "full"
) -> Caller:
    return Caller(api.client, api.context.users.add(name, ["subscriber"], provinces, profile))


def subscribe(caller: Caller, url: str, **body: Any) -> dict[str, Any]:
    response = caller.post("/v1/subscriptions", json={"url": url, **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def patch(caller: Caller, path: str, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = caller.client.patch(path, json=body, headers=caller.headers())
    return response


def delete(caller: Caller, path: str) -> httpx.Response:
    response: httpx.Response = caller.client.delete(path, headers=caller.headers())
    return response


def births(api: Api, count: int, province: str = "034") -> None:
    authority = HANOI if province == "001" else "034-XA-DONGHOA"
    for _ in range(count):
        entry = a_birth(a_pin("M", 2001, province), "2001-01-01", authority=authority)
        response = post_act(api.national_officer, entry)
        assert response.status_code == 201, response.text
    api.settle()


def pulled(caller: Caller, after: int, **params: Any) -> list[dict[str, Any]]:
    """What the pull feed hands the caller after `after`: what their webhooks must carry."""
    response = caller.get("/v1/events", params={"after": after, "limit": 1000, **params})
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def delivered_through(caller: Caller, sub_id: str, position: int) -> dict[str, Any]:
    """The subscription once its cursor has reached `position`: a receiver holds a request
    before the worker commits the delivery that moves the cursor."""
    deadline = time.monotonic() + 30
    while True:
        stored: dict[str, Any] = caller.get(f"/v1/subscriptions/{sub_id}").json()
        if stored["cursor"] >= position:
            return stored
        assert time.monotonic() < deadline, f"the cursor stays at {stored['cursor']}"
        time.sleep(0.02)


def test_events_arrive_in_order_signed_as_the_pull_feed_hands_them_out(hooks: Api) -> None:
    births(hooks, 2)  # before the subscription: not sent
    with receiving() as receiver:
        made = subscribe(hooks.subscriber, receiver.url)
        assert made["secret"].startswith("whsec_") and made["state"] == "active"
        assert made["cursor"] == hooks.context.ledger.position()
        births(hooks, 3)
        births(hooks, 1, "001")  # not the 034 subscriber's
        expected = pulled(hooks.subscriber, made["cursor"])
        assert len(expected) == 3
        assert receiver.wait_for_events(3) == expected
        verifier = Webhook(made["secret"])
        for request, event in zip(receiver.taken(), expected, strict=True):
            assert request.headers["content-type"] == CONTENT_TYPE
            assert request.headers["webhook-id"] == event["id"]
            assert verifier.verify(request.body, request.headers) == event
            assert request.path == "/hooks"
        stored = delivered_through(hooks.subscriber, made["id"], expected[-1]["position"])
        assert stored["secret"] is None and stored["failures"] == 0
        deliveries = hooks.subscriber.get(f"/v1/subscriptions/{made['id']}/deliveries").json()
        sent = [d["event_id"] for d in reversed(deliveries["deliveries"])]
        assert sent == [e["id"] for e in expected]
        assert {d["status"] for d in deliveries["deliveries"]} == {204}


def test_a_subscription_from_a_position_gets_the_events_after_it(hooks: Api) -> None:
    births(hooks, 2)
    national = subscriber(hooks, "downstream")
    with receiving() as receiver:
        births_only = ["vn.lifeledger.birth.registered.v1"]
        subscribe(national, receiver.url, after=0, types=births_only)
        assert receiver.wait_for_events(2) == pulled(national, 0)
        assert len(receiver.events()) == 2


def test_a_receiver_failing_for_a_while_gets_everything_in_order_once_it_recovers(
    hooks: Api,
) -> None:
    with receiving(failing=3) as receiver:
        made = subscribe(hooks.subscriber, receiver.url)
        births(hooks, 4)
        expected = pulled(hooks.subscriber, made["cursor"])
        assert receiver.wait_for_events(4) == expected
        assert [r.answered for r in receiver.requests[:3]] == [500] * 3
        assert [r.headers["webhook-id"] for r in receiver.taken()] == [e["id"] for e in expected]
        # The first event was tried three times, then taken: the log shows each attempt.
        log = hooks.subscriber.get(f"/v1/subscriptions/{made['id']}/deliveries").json()
        first = [d for d in reversed(log["deliveries"]) if d["event_id"] == expected[0]["id"]]
        assert [(d["attempt"], d["status"]) for d in first] == [
            (1, 500),
            (2, 500),
            (3, 500),
            (4, 204),
        ]
        assert first[0]["error"] == "HTTP 500"


def test_too_many_failures_pause_the_subscription_with_the_reason_until_resumed(
    hooks: Api,
) -> None:
    with receiving(failing=4, status=503) as receiver:
        made = subscribe(hooks.subscriber, receiver.url)
        path = f"/v1/subscriptions/{made['id']}"
        births(hooks, 2)
        receiver.wait_until(lambda r: len(r.requests) >= 4)
        deadline = time.monotonic() + 10
        while (state := hooks.subscriber.get(path).json())["state"] != "paused":
            assert time.monotonic() < deadline, state
            time.sleep(0.02)
        assert state["failures"] == 4
        assert state["pause_reason"] == "4 failed deliveries in a row; the last: HTTP 503"
        time.sleep(0.3)  # paused: nothing more is tried
        assert len(receiver.requests) == 4
        resumed = patch(hooks.subscriber, path, {"state": "active"})
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["pause_reason"] is None and resumed.json()["failures"] == 0
        assert receiver.wait_for_events(2) == pulled(hooks.subscriber, made["cursor"])


def test_a_province_limited_subscription_never_receives_another_provinces_event(
    hooks: Api,
) -> None:
    national = subscriber(hooks, "downstream")
    with receiving() as hanoi, receiving() as thai_binh:
        limited = subscribe(national, hanoi.url, provinces=["001"])
        own = subscribe(hooks.subscriber, thai_binh.url)  # a 034 subscriber, no filter
        births(hooks, 2, "034")
        births(hooks, 2, "001")
        births(hooks, 1, "034")
        got = hanoi.wait_for_events(2)
        assert got == pulled(national, limited["cursor"], province="001")
        assert {e["data"]["reference"]["province"] for e in got} == {"001"}
        assert len(thai_binh.wait_for_events(3)) == 3
        assert {e["data"]["reference"]["province"] for e in thai_binh.events()} == {"034"}
        assert thai_binh.events() == pulled(hooks.subscriber, own["cursor"])
        assert len(hanoi.events()) == 2


def test_the_statistics_profile_carries_no_pin_or_name(hooks: Api) -> None:
    statistics = subscriber(hooks, "stats", profile="statistics")
    with receiving() as receiver:
        subscribe(statistics, receiver.url)
        births(hooks, 2)
        for event in receiver.wait_for_events(2):
            text = json.dumps(event, ensure_ascii=False)
            assert "subject" not in event and not pins_in(text), text
            assert not any(name in text for name in NAMES), text


def test_a_disabled_owners_subscriptions_deliver_nothing(hooks: Api) -> None:
    owner = subscriber(hooks, "leaving")
    with receiving() as receiver:
        made = subscribe(owner, receiver.url)
        hooks.context.users.disable("leaving")
        births(hooks, 2)
        store = SubscriptionStore(hooks.context.projections.db)
        deadline = time.monotonic() + 10
        # The worker looked at it and set it aside (its owner may receive nothing) ...
        while (found := store.find("leaving", made["id"])) and found.next_attempt_at <= now():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert found is not None and found.cursor == made["cursor"]
        assert receiver.requests == []  # ... and sent nothing


def test_rotating_the_secret_signs_what_follows_with_the_new_one(hooks: Api) -> None:
    with receiving() as receiver:
        made = subscribe(hooks.subscriber, receiver.url)
        rotated = patch(
            hooks.subscriber, f"/v1/subscriptions/{made['id']}", {"rotate_secret": True}
        )
        assert rotated.status_code == 200, rotated.text
        secret = rotated.json()["secret"]
        assert secret.startswith("whsec_") and secret != made["secret"]
        births(hooks, 1)
        receiver.wait_for_events(1)
        request = receiver.taken()[0]
        Webhook(secret).verify(request.body, request.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(made["secret"]).verify(request.body, request.headers)


BAD_URLS = (
    "ftp://127.0.0.1/hooks",
    "http://10.0.0.1/hooks",
    "http://169.254.169.254/latest/meta-data",
    "http://user:pw@127.0.0.1/hooks",
    "http://[::ffff:10.0.0.1]/hooks",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0/hooks",
    "http:///hooks",
    "https://nowhere.invalid/hooks",
)


def test_bad_subscriptions_are_refused_and_nothing_is_made(hooks: Api) -> None:
    caller = hooks.subscriber
    for url in BAD_URLS:
        response = caller.post("/v1/subscriptions", json={"url": url})
        if response.status_code == 422 and response.json()["code"] == "invalid-request":
            continue  # the document's pattern refuses it already (ftp)
        assert is_problem(response, 422, "url-not-allowed")["field"] == "url", url
    assert caller.post("/v1/subscriptions", json={"url": BAD_URLS[0]}).status_code == 422
    unknown_type = {"url": "http://127.0.0.1:9/hooks", "types": ["vn.lifeledger.nothing.v1"]}
    is_problem(caller.post("/v1/subscriptions", json=unknown_type), 422, "invalid-request")
    outside = {"url": "http://127.0.0.1:9/hooks", "provinces": ["001"]}
    refused = is_problem(caller.post("/v1/subscriptions", json=outside), 422)
    assert refused["code"] == "province-not-subscribed" and "001" in refused["detail"]
    beyond = {"url": "http://127.0.0.1:9/hooks", "after": hooks.context.ledger.position() + 1}
    is_problem(caller.post("/v1/subscriptions", json=beyond), 422, "after-beyond-position")
    is_problem(hooks.officer.post("/v1/subscriptions", json={"url": beyond["url"]}), 403)
    assert caller.get("/v1/subscriptions").json() == {"subscriptions": []}


def test_loopback_is_refused_unless_the_operator_allows_it(api: Api) -> None:
    for url in ("http://localhost:9/hooks", "http://127.0.0.1:9/hooks", "http://[::1]:9/"):
        response = api.subscriber.post("/v1/subscriptions", json={"url": url})
        is_problem(response, 422, "url-not-allowed")
    assert api.subscriber.get("/v1/subscriptions").json() == {"subscriptions": []}


def test_a_change_of_url_is_checked_as_when_made(hooks: Api) -> None:
    made = subscribe(hooks.subscriber, "http://127.0.0.1:9/hooks")
    path = f"/v1/subscriptions/{made['id']}"
    is_problem(patch(hooks.subscriber, path, {"url": "http://10.1.2.3/"}), 422, "url-not-allowed")
    outside = patch(hooks.subscriber, path, {"provinces": ["001"]})
    is_problem(outside, 422, "province-not-subscribed")
    assert hooks.subscriber.get(path).json()["url"] == made["url"]
    changed = patch(hooks.subscriber, path, {"url": "http://127.0.0.1:10/x", "state": "paused"})
    assert changed.json()["url"] == "http://127.0.0.1:10/x" and changed.json()["secret"] is None
    assert changed.json()["pause_reason"] == "paused by its owner"


def test_another_subscribers_subscription_answers_as_an_unknown_one(hooks: Api) -> None:
    made = subscribe(hooks.subscriber, "http://127.0.0.1:9/hooks")
    other = subscriber(hooks, "other", ("034",))
    unknown = "sub_" + "0" * 32
    for sub_id in (made["id"], unknown):
        path = f"/v1/subscriptions/{sub_id}"
        answers = [
            other.get(path),
            patch(other, path, {"state": "paused"}),
            patch(other, path, {"rotate_secret": True}),
            other.get(f"{path}/deliveries"),
            delete(other, path),
        ]
        for answer in answers:
            problem = is_problem(answer, 404, "subscription-not-found")
            assert problem["detail"] == f"no subscription {sub_id}"
    assert other.get("/v1/subscriptions").json() == {"subscriptions": []}
    mine = hooks.subscriber.get(f"/v1/subscriptions/{made['id']}").json()
    assert mine["state"] == "active" and mine["url"] == made["url"]
    assert delete(hooks.subscriber, f"/v1/subscriptions/{made['id']}").status_code == 204
    assert hooks.subscriber.get(f"/v1/subscriptions/{made['id']}").status_code == 404


def test_an_address_no_longer_allowed_at_delivery_is_not_sent_to(database_url: str) -> None:
    settings = api_settings(database_url, webhooks_in_serve=False, **QUICK)
    with receiving() as receiver:
        for api in running_api(settings):
            made = subscribe(api.subscriber, receiver.url)
            births(api, 1)
            db = api.context.projections.db
            strict = settings.model_copy(update={"webhook_allowed_networks": []})
            Deliverer(strict, db).deliver(made["id"])
            assert receiver.requests == []
            log = api.subscriber.get(f"/v1/subscriptions/{made['id']}/deliveries").json()
            assert log["deliveries"][0]["error"].startswith("url-not-allowed")
            time.sleep(0.06)  # the retry's backoff
            Deliverer(settings, db).deliver(made["id"])
            assert len(receiver.events()) == 1


def test_a_replayed_creation_does_not_show_the_secret_again(hooks: Api) -> None:
    body = {"url": "http://127.0.0.1:9/hooks"}
    headers = {"Idempotency-Key": "make-hook-1"}
    first = hooks.subscriber.post("/v1/subscriptions", json=body, headers=headers)
    again = hooks.subscriber.post("/v1/subscriptions", json=body, headers=headers)
    assert first.json()["secret"].startswith("whsec_") and again.json()["secret"] is None
    assert again.json()["id"] == first.json()["id"]
    assert len(hooks.subscriber.get("/v1/subscriptions").json()["subscriptions"]) == 1


def test_two_delivering_processes_never_send_one_subscription_at_once(hooks: Api) -> None:
    second = Deliverer(hooks.context.settings, hooks.context.projections.db)
    second.start()  # beside the app's own, as a second `lifeledger deliver` would be
    try:
        with receiving(delay=0.01) as receiver:
            made = subscribe(hooks.subscriber, receiver.url)
            births(hooks, 12)
            expected = pulled(hooks.subscriber, made["cursor"])
            assert receiver.wait_for_events(12) == expected
            time.sleep(0.2)  # nothing more comes
            ids = [r.headers["webhook-id"] for r in receiver.requests]
            assert ids == [e["id"] for e in expected]  # each once, in order
    finally:
        second.stop()


def test_a_slow_or_dead_receiver_does_not_hold_up_the_others(hooks: Api) -> None:
    with receiving(delay=1.0) as slow, receiving() as fast:
        subscribe(hooks.subscriber, "http://127.0.0.1:9/nobody-listens")
        subscribe(hooks.subscriber, slow.url)
        subscribe(hooks.subscriber, fast.url)
        births(hooks, 5)
        started = time.monotonic()
        fast.wait_for_events(5, timeout=4)
        assert time.monotonic() - started < 4 and len(slow.requests) < 5
