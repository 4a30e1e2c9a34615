"""`lifeledger relay` against the real NATS JetStream, on both stores: killed with SIGKILL
mid-stream and restarted, the stream holds every event exactly once per province, in ledger
order; a province's subjects carry nothing of another province's persons; the statistics
profile carries no PIN and no name; every message is a CloudEvents event.

Each test writes its own stream under its own subject prefix and deletes it. Without NATS
the tests are skipped, except in CI (`CI` set), where they fail."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
import pytest
from cloudevents.core.formats.json import JSONFormat
from nats.js.errors import NotFoundError

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.jurisdiction import PIN_IN_TEXT
from lifeledger.feed.envelopes import PREFIX
from lifeledger.feed.relay import (
    POSITION,
    PROVINCE,
    Mark,
    Options,
    Publisher,
    Relay,
    RelayError,
    connect,
    copies_after,
    ensure_stream,
    stream_mark,
)
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, event_feed
from lifeledger.settings import Settings
from tests.builders import a_birth, a_person, a_pin

NATS_URL = os.environ.get("LIFELEDGER_TEST_NATS", "nats://127.0.0.1:4222")
PEOPLE = {"034": ("Đỗ", "034-XA-DONGHOA"), "001": ("Vũ", "001-PH-HOANKIEM")}
"""Each province's persons share a family name found nowhere else in the acts."""


def nats_reachable() -> bool:
    address = urlsplit(NATS_URL)
    try:
        with socket.create_connection((address.hostname, address.port or 4222), timeout=2):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Message:
    subject: str
    headers: dict[str, str]
    data: bytes


@dataclass(frozen=True)
class Stream:
    """The test's own stream and subject prefix on the real JetStream."""

    name: str
    prefix: str

    def options(self, **changes: Any) -> Options:
        chosen: dict[str, Any] = {"profile": "full", "batch_size": 50, **changes}
        return Options(NATS_URL, self.name, self.prefix, source="urn:lifeledger:test", **chosen)

    def count(self) -> int:
        counted: int = asyncio.run(self._jetstream(_count, self.name))
        return counted

    def messages(self) -> list[Message]:
        return asyncio.run(self._jetstream(_messages, self.name))

    def delete(self) -> None:
        asyncio.run(self._jetstream(_delete, self.name))

    async def _jetstream(self, call: Callable[..., Any], *args: Any) -> Any:
        nc = await nats.connect(NATS_URL)
        try:
            return await call(nc.jetstream(), *args)
        finally:
            await nc.close()


async def _count(js: Any, name: str) -> int:
    try:
        return int((await js.stream_info(name)).state.messages)
    except NotFoundError:
        return 0


async def _messages(js: Any, name: str) -> list[Message]:
    last = (await js.stream_info(name)).state.last_seq
    found = [await js.get_msg(name, seq) for seq in range(1, last + 1)]
    return [Message(m.subject, dict(m.headers or {}), m.data or b"") for m in found]


async def _delete(js: Any, name: str) -> None:
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(name)


@pytest.fixture
def stream() -> Iterator[Stream]:
    if not nats_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"NATS at {NATS_URL} is not reachable, and CI must test the relay")
        pytest.skip("NATS is not reachable")
    name = uuid.uuid4().hex[:12]
    made = Stream(f"RELAYTEST_{name}", f"relaytest_{name}")
    yield made
    made.delete()


@pytest.fixture
def projections(ledger: Ledger) -> Iterator[Projections]:
    made = Projections(ledger)
    yield made
    made.close()


def record_births(ledger: Ledger, projections: Projections, count: int) -> None:
    """Births registered alternately in Thái Bình and Hà Nội, each child's mother of the
    other province: every event concerns both."""
    acts = []
    for n in range(count):
        here, there = ("034", "001") if n % 2 else ("001", "034")
        child = a_pin("M", 1990 + n % 30, here)
        birth = a_birth(child, f"{1990 + n % 30}-03-04", authority=PEOPLE[here][1])
        birth["child"] = a_person(child, f"{PEOPLE[here][0]} Văn An", "M", birth["occurred_on"])
        mother = a_pin("F", 1960, there)
        birth["mother"] = a_person(mother, f"{PEOPLE[there][0]} Thị Bích", "F")
        acts.append(parse_act(birth))
    outcomes = ledger.record_many(acts, Recorder("writer"))
    assert all(o.error is None for o in outcomes)
    projections.runner.catch_up()


def expected_copies(projections: Projections, provinces: tuple[str, ...] = ()) -> list[Any]:
    """(position, province) of every copy the relay owes, in ledger order."""
    page = event_feed.page(projections.db, 0, 1_000_000)
    return [
        (event.position, province)
        for event in page.events
        for province in sorted(event.provinces)
        if not provinces or province in provinces
    ]


def start_relay(database_url: str, stream: Stream, cwd: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LIFELEDGER_DATABASE_URL": database_url,
        "LIFELEDGER_NATS_URL": NATS_URL,
        "LIFELEDGER_NATS_STREAM": stream.name,
        "LIFELEDGER_NATS_SUBJECT_PREFIX": stream.prefix,
        "LIFELEDGER_RELAY_BATCH_SIZE": "2",  # many small batches: the kill lands mid-stream
    }
    command = [sys.executable, "-m", "lifeledger.cli", "relay"]
    return subprocess.Popen(command, env=env, cwd=cwd, stderr=subprocess.PIPE, text=True)


def wait_until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def readable(message: Message) -> str:
    """The message as text, its names unescaped."""
    return json.dumps(json.loads(message.data), ensure_ascii=False)


def cloud_event(message: Message) -> Any:
    return JSONFormat().read(None, message.data)


def test_relay_killed_mid_stream_and_restarted_publishes_each_copy_once_in_ledger_order(
    ledger: Ledger, projections: Projections, stream: Stream, tmp_path: Path
) -> None:
    record_births(ledger, projections, 150)
    url = ledger.settings.database_url
    owed = expected_copies(projections)
    first = start_relay(url, stream, tmp_path)
    wait_until(lambda: stream.count() > 0)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert 0 < stream.count() < len(owed), "the kill should land mid-stream"

    second = start_relay(url, stream, tmp_path)
    wait_until(lambda: stream.count() >= len(owed))
    record_births(ledger, projections, 3)  # followed while it runs
    owed = expected_copies(projections)
    wait_until(lambda: stream.count() >= len(owed))
    second.send_signal(signal.SIGTERM)
    assert second.wait(10) == 0, second.stderr.read() if second.stderr else ""

    messages = stream.messages()
    assert [(int(m.headers[POSITION]), m.headers[PROVINCE]) for m in messages] == owed
    assert len({m.headers["Nats-Msg-Id"] for m in messages}) == len(messages)
    for message in messages:
        event = cloud_event(message)
        province = message.headers[PROVINCE]
        assert message.headers["Nats-Msg-Id"] == f"{event.get_id()}@{province}"
        type_ = event.get_type().removeprefix(PREFIX)
        assert message.subject == f"{stream.prefix}.{province}.{type_}"
        assert event.get_extension("position") == int(message.headers[POSITION])


def test_a_province_subjects_carry_nothing_of_another_province_persons(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 10)
    relayed = asyncio.run(relay_all(projections, stream.options()))
    messages = stream.messages()
    assert relayed == len(messages) == 20  # each birth, once for each of its two provinces
    for message in messages:
        province = message.headers[PROVINCE]
        assert message.subject.startswith(f"{stream.prefix}.{province}.")
        text = readable(message)
        assert {pin[:3] for pin in PIN_IN_TEXT.findall(text)} == {province}
        for other, (family, _) in PEOPLE.items():
            assert (family in text) == (other == province), text
        assert cloud_event(message).get_data()["parties"]  # the persons, by role at least


def test_statistics_relay_of_one_province_carries_no_pin_no_name_and_no_other_province(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 10)
    options = stream.options(profile="statistics", provinces=frozenset({"001"}))
    relayed = asyncio.run(relay_all(projections, options))
    messages = stream.messages()
    assert relayed == len(messages) == len(expected_copies(projections, ("001",))) == 10
    for message in messages:
        text = readable(message)
        assert message.subject.startswith(f"{stream.prefix}.001.birth.registered.v1")
        assert not PIN_IN_TEXT.search(text) and "Đỗ" not in text and "Vũ" not in text
        event = cloud_event(message)
        assert event.get_subject() is None
        parties = event.get_data()["parties"]
        assert [p["role"] for p in parties] == ["child", "mother"]
        assert all(set(p) <= {"role", "sex"} for p in parties)


def test_a_stream_is_refused_to_a_relay_of_another_profile_or_provinces(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 2)
    asyncio.run(relay_all(projections, stream.options()))
    with pytest.raises(RelayError, match="carries the full profile, not statistics"):
        asyncio.run(relay_all(projections, stream.options(profile="statistics")))
    with pytest.raises(RelayError, match="relays the provinces all, not 001"):
        asyncio.run(relay_all(projections, stream.options(provinces=frozenset({"001"}))))
    assert stream.count() == 4


async def relay_all(projections: Projections, options: Options) -> int:
    relay = Relay(projections.db, options, say=lambda line: None)
    return await relay.run(asyncio.Event(), until_caught_up=True)


def test_a_restart_goes_on_with_the_copies_of_its_last_event_not_yet_in_the_stream(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 3)
    owed = expected_copies(projections)
    (position, first), (_, second) = owed[2], owed[3]  # the second event's two copies
    mark = Mark(position, first, sequence=3)
    copies = copies_after(projections.db, stream.options(), mark)
    assert [(c.position, c.province) for c in copies] == [(position, second), *owed[4:]]


def test_a_publish_that_does_not_follow_the_stream_is_refused_then_the_relay_goes_on(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 2)
    options = stream.options()
    copies = copies_after(projections.db, options, Mark())

    async def publish_beyond_the_stream() -> None:
        nc = await connect(NATS_URL)
        try:
            await ensure_stream(nc.jetstream(), options)
            publisher = Publisher(nc, options)
            await publisher.start()
            await publisher.publish(copies[:2], Mark())
            with pytest.raises(RelayError, match="wrong last sequence"):  # as if it had a 3rd
                await publisher.publish(copies[2:], Mark(owed[2][0], owed[2][1], sequence=3))
        finally:
            await nc.close()

    owed = expected_copies(projections)
    asyncio.run(publish_beyond_the_stream())
    assert stream.count() == 2
    assert asyncio.run(relay_all(projections, options)) == 2
    assert [(int(m.headers[POSITION]), m.headers[PROVINCE]) for m in stream.messages()] == owed


def test_a_stream_another_publisher_wrote_to_is_refused(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 1)

    async def publish_foreign() -> None:
        nc = await connect(NATS_URL)
        try:
            await ensure_stream(nc.jetstream(), stream.options())
            await nc.jetstream().publish(f"{stream.prefix}.001.birth.registered.v1", b"{}")
        finally:
            await nc.close()

    asyncio.run(publish_foreign())
    with pytest.raises(RelayError, match="was not published by the relay"):
        asyncio.run(relay_all(projections, stream.options()))
    assert stream.count() == 1


def test_a_purged_stream_is_started_over_after_its_last_sequence(
    ledger: Ledger, projections: Projections, stream: Stream
) -> None:
    record_births(ledger, projections, 2)
    asyncio.run(relay_all(projections, stream.options()))

    async def purge_then_mark(js: Any, name: str) -> Mark:
        await js.purge_stream(name)
        return await stream_mark(js, stream.options())

    # Its copies go in again once JetStream's duplicate window has forgotten their ids.
    assert asyncio.run(stream._jetstream(purge_then_mark, stream.name)) == Mark(sequence=4)


def lifeledger_relay(database_url: str, *args: str, **settings: str) -> Any:
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url}
    env.update({f"LIFELEDGER_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run([sys.executable, "-m", "lifeledger.cli", "relay", *args], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.fixture
def fed_ledger_url(tmp_path: Path) -> str:
    """A SQLite ledger with the feed's tables (the store does not matter to these refusals)."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger = Ledger(Settings(database_url=url))
    Projections(ledger).close()
    ledger.close()
    return url


def test_relay_with_nats_unreachable_says_so_and_exits_non_zero(fed_ledger_url: str) -> None:
    done = lifeledger_relay(fed_ledger_url, nats_url="nats://127.0.0.1:1")
    assert done.returncode == 2
    assert "cannot reach NATS at nats://127.0.0.1:1" in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--province", "999"], "unknown 999"), (["--profile", "everything"], "--profile")],
)
def test_relay_usage_errors_exit_2_before_connecting(
    fed_ledger_url: str, args: list[str], said: str
) -> None:
    done = lifeledger_relay(fed_ledger_url, *args, nats_url="nats://127.0.0.1:1")
    assert done.returncode == 2 and said in done.stderr
    assert "cannot reach" not in done.stderr


def test_relay_without_an_event_feed_says_what_to_start(tmp_path: Path) -> None:
    done = lifeledger_relay(f"sqlite:///{tmp_path}/empty.db")
    assert done.returncode == 2 and "lifeledger projections run" in done.stderr


def test_the_relay_benchmark_runs(database_url: str, stream: Stream) -> None:
    from bench.subscribers_relay import relay_events_per_second

    assert relay_events_per_second(database_url, 30) > 0
