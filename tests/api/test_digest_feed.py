"""Signed digests of the Merkle log leave by the event feed: `serve` records one in the
ledger every LIFELEDGER_DIGEST_PUBLISH_SECONDS while the log grows, and every subscriber,
whatever their provinces and profile, receives it: a witness of the log's state held
outside the ledger."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import Api, api_settings, post_act, running_api
from tests.api.test_events import every_event, parsed, subscriber
from tests.builders import a_birth, a_pin

from lifeledger.audit.keys import init_key, load_signer, signature_holds

DIGEST_TYPE = "vn.lifeledger.ledger.digest.v1"


@pytest.fixture
def publishing(database_url: str, tmp_path: Path) -> Iterator[Api]:
    key = tmp_path / "signing.pem"
    init_key(key)
    settings = api_settings(database_url, signing_key_file=str(key), digest_publish_seconds=0.2)
    yield from running_api(settings)


def digests_of(caller: Any) -> list[dict[str, Any]]:
    return [e for e in every_event(caller, limit=50) if e["type"] == DIGEST_TYPE]


def wait_for_digest(api: Api, caller: Any) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        api.settle()
        found = digests_of(caller)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("no digest reached the feed")


def test_a_digest_reaches_every_subscriber_signed(publishing: Api, tmp_path: Path) -> None:
    api = publishing
    post_act(api.officer, a_birth(a_pin(year=2001), "2001-02-03"))
    national = subscriber(api, "national")
    thai_binh = subscriber(api, "tb", ("034",))
    hanoi_statistics = subscriber(api, "hn-stats", ("001",), profile="statistics")
    digests = wait_for_digest(api, national)
    digest = digests[0]
    parsed(digest)
    data = digest["data"]
    assert data["tree_size"] >= 2 and len(data["root_hash"]) == 64
    assert "subject" not in digest
    signer = load_signer(tmp_path / "signing.pem")
    assert signature_holds(data, signer.public)
    assert api.context.merkle.root(data["tree_size"]).hex() == data["root_hash"]
    # Every subscriber holds the same witness, whatever their provinces and profile.
    for caller in (thai_binh, hanoi_statistics):
        assert [d["data"] for d in digests_of(caller)] == [d["data"] for d in digests]


def test_no_digest_while_nothing_is_written(publishing: Api) -> None:
    api = publishing
    post_act(api.officer, a_birth(a_pin(year=2001), "2001-02-03"))
    national = subscriber(api, "national")
    wait_for_digest(api, national)
    time.sleep(1.0)  # five periods with nothing written
    api.settle()
    assert len(digests_of(national)) == 1
    post_act(api.officer, a_birth(a_pin(year=2002), "2002-03-04"))
    deadline = time.monotonic() + 15
    while len(digests_of(national)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        api.settle()
    sizes = [d["data"]["tree_size"] for d in digests_of(national)]
    assert len(sizes) == 2 and sizes[0] < sizes[1], json.dumps(sizes)
