"""Idempotency-Key: a retried POST answers the first response again; the same key with
another body is a 422; keys belong to one user; concurrent requests with one key run it
once (the others wait and replay it, or get a 409)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from tests.api.conftest import (
    Api,
    Caller,
    api_settings,
    is_problem,
    post_act,
    running_api,
    stage,
    staged_id,
)
from tests.builders import a_birth, a_marriage, a_pin, a_revocation

from lifeledger.api.answers import fingerprint
from lifeledger.api.idempotency import IdempotencyStore
from lifeledger.api.timestamps import now
from lifeledger.database import ViewDatabase

KEY = {"Idempotency-Key": "retry-1"}


def test_retry_with_the_same_key_replays_the_first_response(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    first = post_act(api.officer, birth, headers=KEY)
    again = post_act(api.officer, birth, headers=KEY)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    without_key = post_act(api.officer, birth)
    assert without_key.status_code == 200 and without_key.json()["status"] == "duplicate"


def test_same_key_with_another_body_is_a_422(api: Api) -> None:
    post_act(api.officer, a_birth(a_pin("M", 1991), "1991-01-01"), headers=KEY)
    other = post_act(api.officer, a_birth(a_pin("F", 1992), "1992-01-01"), headers=KEY)
    problem = is_problem(other, 422, "idempotency-key-reused")
    assert problem["field"] == "Idempotency-Key"


def test_a_refusal_is_replayed_too(api: Api) -> None:
    too_young = a_marriage(a_pin("M", 1970), a_pin("F", 1970), "1980-01-01")
    first = post_act(api.officer, too_young, headers=KEY)
    again = post_act(api.officer, too_young, headers=KEY)
    assert first.status_code == again.status_code == 409
    assert first.json() == again.json()
    assert again.headers["content-type"].startswith("application/problem+json")


def test_keys_are_per_user(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    assert post_act(api.officer, birth, headers=KEY).status_code == 201
    other_user = post_act(api.national_officer, birth, headers=KEY)
    assert other_user.status_code == 200 and "Idempotent-Replayed" not in other_user.headers


def test_same_key_on_another_route_is_a_422(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    post_act(api.officer, birth, headers=KEY)
    body = a_revocation({"authority": "034-X", "book": "b", "number": "c"})
    is_problem(
        api.officer.post("/v1/revocations", json=body, headers=KEY), 422, "idempotency-key-reused"
    )


def test_replayed_user_creation_does_not_show_the_key_again(api: Api) -> None:
    body = {"name": "clerk", "roles": ["officer"], "provinces": ["034"]}
    first = api.admin.post("/v1/users", json=body, headers=KEY)
    assert first.status_code == 201 and first.json()["api_key"].startswith("ll_")
    again = api.admin.post("/v1/users", json=body, headers=KEY)
    assert again.status_code == 201 and again.json()["api_key"] is None
    stored = api.context.projections.db.rows("SELECT body FROM api_idempotency")
    assert first.json()["api_key"] not in str(stored)


def test_approval_retry_is_replayed(api: Api) -> None:
    entry = a_birth(a_pin("F", 1957), "1957-07-07")
    stage(api.approver, entry)
    url = f"/v1/entries/{staged_id(entry)}/approve"
    first = api.approver2.post(url, headers=KEY)
    again = api.approver2.post(url, headers=KEY)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()


# Concurrent requests with one key: the first holds it until it has its answer.

CONCURRENT = 20


def all_at_once(send: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`send(i)` for i in 0..CONCURRENT-1, released together from as many threads."""
    start = threading.Barrier(CONCURRENT)

    def go(i: int) -> httpx.Response:
        start.wait()
        return send(i)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(go, range(CONCURRENT)))


def is_in_use(response: httpx.Response) -> bool:
    if response.status_code != 409 or response.json().get("code") != "idempotency-key-in-use":
        return False
    is_problem(response, 409, "idempotency-key-in-use")
    assert int(response.headers["Retry-After"]) >= 1
    return True


def births_written(api: Api) -> dict[str, float]:
    """What the metrics say the birth route's writes ended as (the ledger ran them)."""
    found = re.findall(
        r'lifeledger_writes_total\{kind="birth",outcome="(\w+)"\} (\S+)',
        api.admin.get("/metrics").text,
    )
    return {outcome: float(count) for outcome, count in found if float(count)}


def test_concurrent_retries_of_one_act_record_it_once_and_all_answer_it(api: Api) -> None:
    birth = a_birth(a_pin("M", 1991), "1991-01-01")
    answers = all_at_once(lambda _: post_act(api.officer, birth, headers=KEY))
    written = [a for a in answers if not is_in_use(a)]
    assert all(a.status_code == 201 for a in written), [a.text for a in answers]
    assert len({a.text for a in written}) == 1  # one act, one set of event ids
    assert written[0].json()["status"] == "accepted" and written[0].json()["event_ids"]
    first = [a for a in written if "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1
    assert all(a.headers["Idempotent-Replayed"] == "true" for a in written if a not in first)
    assert births_written(api) == {"accepted": 1}  # the others never ran it


def test_concurrent_requests_with_one_key_and_different_acts_record_one(api: Api) -> None:
    pins = [a_pin("M", 1991) for _ in range(CONCURRENT)]
    births = [a_birth(pin, "1991-01-01") for pin in pins]  # each its own registration number
    answers = all_at_once(lambda i: post_act(api.officer, births[i], headers=KEY))
    recorded = [a for a in answers if a.status_code == 201]
    assert len(recorded) == 1, [a.text for a in answers]
    for other in answers:
        if other is not recorded[0] and not is_in_use(other):
            is_problem(other, 422, "idempotency-key-reused")
    api.settle()
    found = [pin for pin in pins if api.auditor.get(f"/v1/persons/{pin}").status_code == 200]
    assert len(found) == 1
    assert births_written(api) == {"accepted": 1}


def test_a_request_that_failed_lets_a_retry_with_its_key_run(api: Api) -> None:
    disable = "/v1/users/clerk/disable"
    is_problem(api.admin.post(disable, headers=KEY), 404, "user-not-found")  # raised inside
    created = api.admin.post("/v1/users", json={"name": "clerk", "roles": ["officer"]})
    assert created.status_code == 201
    retried = api.admin.post(disable, headers=KEY)
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert retried.json()["disabled"] is True


# Claims as other requests leave them in the table (another worker still running, or a
# process that died), written directly.

DISABLE_OFFICER = "/v1/users/officer/disable"
LONG_AGO = "2000-01-01T00:00:00.000+00:00"


def claim_left(db: ViewDatabase, at: str, request: str = fingerprint("disable", "officer")) -> None:
    """The claim of the admin's request with KEY, as its process left it at `at`."""
    with db.transaction(lock=True) as tx:
        tx.execute(
            "INSERT INTO api_idempotency (user_name, key, fingerprint, status, body, "
            "created_at, claim) VALUES ('admin', %s, %s, 0, '{}', %s, 'another-process')",
            (KEY["Idempotency-Key"], request, at),
        )


def key_works(caller: Caller) -> bool:
    """Whether the user's key still authenticates (it stops when the user is disabled)."""
    return caller.get(f"/v1/persons/{a_pin()}").status_code != 401


def test_a_claim_left_by_a_process_that_died_is_taken_over(api: Api) -> None:
    claim_left(api.context.projections.db, LONG_AGO)
    taken = api.admin.post(DISABLE_OFFICER, headers=KEY)
    assert taken.status_code == 200 and "Idempotent-Replayed" not in taken.headers
    assert taken.json()["disabled"] is True and not key_works(api.officer)
    again = api.admin.post(DISABLE_OFFICER, headers=KEY)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == taken.json()


@pytest.fixture
def impatient_api(database_url: str) -> Iterator[Api]:
    """The app answering at once when a request's key is held by another."""
    yield from running_api(api_settings(database_url, idempotency_wait_seconds=0))


def test_a_key_held_by_a_running_request_is_a_409_and_nothing_runs(impatient_api: Api) -> None:
    api = impatient_api
    claim_left(api.context.projections.db, now())
    held = is_problem(api.admin.post(DISABLE_OFFICER, headers=KEY), 409, "idempotency-key-in-use")
    assert held["field"] == "Idempotency-Key"
    other = api.admin.post("/v1/users/approver/disable", headers=KEY)
    is_problem(other, 422, "idempotency-key-reused")
    assert key_works(api.officer) and key_works(api.approver)


def test_answers_stored_before_claims_existed_are_still_replayed(database_url: str) -> None:
    db = ViewDatabase(database_url, pool_size=1)
    try:
        with db.transaction(lock=True) as tx:  # the table as earlier versions made it
            tx.execute(
                "CREATE TABLE api_idempotency (user_name TEXT NOT NULL, key TEXT NOT NULL, "
                "fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, "
                "created_at TEXT NOT NULL, PRIMARY KEY (user_name, key))"
            )
            tx.execute(
                "INSERT INTO api_idempotency VALUES ('admin', %s, %s, 200, %s, %s)",
                (
                    KEY["Idempotency-Key"],
                    fingerprint("disable", "clerk"),
                    '{"name":"clerk"}',
                    LONG_AGO,
                ),
            )
    finally:
        db.close()
    for api in running_api(api_settings(database_url)):
        again = api.admin.post("/v1/users/clerk/disable", headers=KEY)
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == {"name": "clerk"}


def test_a_running_request_keeps_its_claim_however_long_it_runs(api: Api) -> None:
    """Its process renews the claim (an import may run for minutes): never taken as stale."""
    store = IdempotencyStore(api.context.projections.db, claim_seconds=0.3)
    try:
        assert store.claim("admin", "long-import", "f", "running") is None
        with api.context.projections.db.transaction(lock=True) as tx:  # as if it ran for an hour
            tx.execute("UPDATE api_idempotency SET created_at = %s", (LONG_AGO,))
        held, deadline = None, time.monotonic() + 10  # renewed every 0.1 s
        while held is None and time.monotonic() < deadline:
            time.sleep(0.05)
            held = store.find("admin", "long-import")
        assert held is not None and held.pending  # live again: no other request takes it
    finally:
        store.close()
