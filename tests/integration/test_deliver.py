"""`lifeledger deliver` as a process of its own, on both stores: killed (SIGKILL) in the middle
of a subscription's backlog and started again, it resumes from the subscription's durable
cursor: every event reaches the receiver, in order, and only the one in flight when it was
killed may come twice (the receiver drops it by `webhook-id`); SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from lifeledger.feed.secret_box import init_secrets_key
from tests.api.conftest import Api, Caller, api_settings, post_act, running_api
from tests.builders import a_birth, a_pin
from tests.receiver import Receiver, receiving

LIFELEDGER = Path(sys.executable).parent / "lifeledger"
EVENTS = 24


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    """The API without its own deliveries: only `lifeledger deliver` sends."""
    settings = api_settings(
        database_url, webhooks_in_serve=False, webhook_allowed_networks=["127.0.0.0/8"]
    )
    yield from running_api(settings)


def deliver(database_url: str, **more: str) -> subprocess.Popen[bytes]:
    env = {
        **more,
        **os.environ,
        "LIFELEDGER_DATABASE_URL": database_url,
        "LIFELEDGER_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "LIFELEDGER_WEBHOOK_TIMEOUT_SECONDS": "2",
        "LIFELEDGER_WEBHOOK_LEASE_SECONDS": "2.5",  # a killed process's lease, taken over
        "LIFELEDGER_WEBHOOK_BACKOFF_BASE_SECONDS": "0.01",
    }
    return subprocess.Popen(
        [str(LIFELEDGER), "deliver"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def backlog(api: Api, receiver: Receiver) -> list[str]:
    """A national subscriber's subscription from the first event, and EVENTS births: the ids
    the receiver must get, in order."""
    key = api.context.users.add("downstream", ["subscriber"])
    national = Caller(api.client, key)
    made = national.post("/v1/subscriptions", json={"url": receiver.url, "after": 0})
    assert made.status_code == 201, made.text
    for _ in range(EVENTS):
        response = post_act(api.national_officer, a_birth(a_pin("F", 2002), "2002-02-02"))
        assert response.status_code == 201, response.text
    api.settle()
    page = national.get("/v1/events", params={"limit": 1000}).json()
    return [event["id"] for event in page["events"]]


def test_a_killed_deliver_resumes_from_its_cursor_losing_nothing(
    api: Api, database_url: str
) -> None:
    with receiving(delay=0.03) as receiver:
        expected = backlog(api, receiver)
        assert len(expected) == EVENTS
        first = deliver(database_url)
        try:
            receiver.wait_until(lambda r: len(r.requests) >= EVENTS // 3)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        before_kill = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(before_kill) < EVENTS, "killed after the end: the test proves nothing"
        second = deliver(database_url)
        try:
            receiver.wait_for_events(EVENTS)
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=15)
        assert second.returncode == 0, err.decode()
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert list(dict.fromkeys(ids)) == expected  # everything, in order
        repeats = len(ids) - len(expected)
        assert repeats <= 1
        if repeats:  # only the event in flight when the first process was killed, resent first
            twice = next(i for i in range(1, len(ids)) if ids[i] == ids[i - 1])
            assert ids.count(ids[twice]) == 2 and twice >= len(before_kill) - 1


def test_deliver_with_a_secrets_key_seals_the_clear_secrets_and_signs_with_them(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    """A secret made without a key is encrypted when `deliver` starts with one, and the
    webhooks it sends still verify with the secret shown at creation."""
    key = tmp_path / "secrets.key"
    init_secrets_key(key)
    with receiving() as receiver:
        made = Caller(api.client, api.context.users.add("downstream", ["subscriber"])).post(
            "/v1/subscriptions", json={"url": receiver.url}
        )
        assert made.status_code == 201, made.text
        secret, sub_id = made.json()["secret"], made.json()["id"]
        post_act(api.national_officer, a_birth(a_pin("F", 2002), "2002-02-02"))
        api.settle()
        process = deliver(database_url, LIFELEDGER_SECRETS_KEY_FILE=str(key))
        try:
            receiver.wait_for_events(1)
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=15)
        assert process.returncode == 0, err.decode()
        assert b"encrypted at rest" in out
        request = receiver.taken()[0]
        Webhook(secret).verify(request.body, request.headers)
        row = api.context.projections.db.row(
            "SELECT secret FROM api_subscription WHERE id = %s", (sub_id,)
        )
        assert row is not None and row["secret"].startswith("v1:") and secret not in row["secret"]


def test_deliver_on_a_ledger_it_cannot_open_is_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"}
    done = subprocess.run(
        [str(LIFELEDGER), "deliver"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "cannot open the ledger" in done.stderr


def test_the_webhook_benchmark_runs(tmp_path: Path) -> None:
    from bench.subscribers_webhooks import deliveries_per_second

    assert deliveries_per_second(f"sqlite:///{tmp_path}/bench.db", 20) > 0
