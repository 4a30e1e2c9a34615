"""The live stream `GET /v1/events/stream`, against a running server (uvicorn on a free port)
with a real SSE client (httpx-sse), on both stores: events written while a client is
connected arrive in order, as CloudEvents, the same as the pull feed; a reconnect with
`Last-Event-ID` misses nothing and repeats nothing; a client that stops reading is cut off
without slowing another; a provincial subscriber never receives another province's event;
the `statistics` profile carries no PIN or name; refusals are problems; shutdown does not
wait for open streams."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from cloudevents.core.formats.json import JSONFormat
from httpx_sse import connect_sse
from tests.api.conftest import api_settings, body_of, is_problem, make_users
from tests.builders import a_birth, a_pin

from lifeledger.api.app import create_app
from lifeledger.api.context import ApiContext

HANOI = "001-PH-HOANKIEM"
STREAM = "/v1/events/stream"
DEADLINE = 20.0


@dataclass
class Server:
    """The app served on a free port; `client(name)` calls it as one of the users."""

    base: str
    keys: dict[str, str]
    context: ApiContext
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, name: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[name]}"} if name else {}
        client = httpx.Client(base_url=self.base, headers=headers, timeout=DEADLINE)
        self.clients.append(client)
        return client

    def subscriber(self, name: str, provinces: tuple[str, ...] = (), profile: str = "full") -> str:
        self.keys[name] = self.context.users.add(name, ["subscriber"], provinces, profile)
        return name

    def record(self, *entries: dict[str, Any]) -> list[str]:
        """Record the acts (as the national officer); their ids."""
        officer = self.client("national_officer")
        acts = []
        for entry in entries:
            response = officer.post("/v1/births", json=body_of(entry))
            assert response.status_code == 201, response.text
            acts.append(response.json()["act_id"])
        return acts

    def pulled(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Every event of the pull feed for `name`, once the feed has caught up."""
        ledger_position = self.context.ledger.position()
        assert self.context.projections.runner.wait_for(ledger_position, timeout=DEADLINE)
        page = self.client(name).get("/v1/events", params={"limit": 1000, **params}).json()
        events: list[dict[str, Any]] = page["events"]
        return events


ServerFactory = Callable[..., Server]


@pytest.fixture
def serve(database_url: str) -> Iterator[ServerFactory]:
    """Starts the app with these settings (once per test) in a uvicorn thread."""
    running: list[tuple[uvicorn.Server, threading.Thread, Server]] = []

    def start(**overrides: Any) -> Server:
        settings = api_settings(database_url, **overrides)
        keys = make_users(settings)
        config = uvicorn.Config(
            create_app(settings), port=0, log_level="critical", timeout_graceful_shutdown=2
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        until(lambda: server.started or not thread.is_alive())
        assert server.started, "the server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        app: Any = config.app
        served = Server(f"http://127.0.0.1:{port}", keys, app.state.context)
        running.append((server, thread, served))
        return served

    yield start
    for server, thread, served in running:
        for client in served.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=DEADLINE)


def until(condition: Callable[[], object], deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            pytest.fail("timed out")
        time.sleep(0.01)


class Listener:
    """A subscriber's stream read in a thread: `events` (id, data parsed) as they arrive."""

    def __init__(
        self, client: httpx.Client, params: dict[str, Any] | None = None, last: str | None = None
    ) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.connected = threading.Event()
        self.stopping = threading.Event()
        self.status: int | None = None
        headers = {"Last-Event-ID": last} if last is not None else {}
        self._thread = threading.Thread(
            target=self._run, args=(client, params or {}, headers), daemon=True
        )
        self._thread.start()
        assert self.connected.wait(DEADLINE)

    def _run(self, client: httpx.Client, params: dict[str, Any], headers: dict[str, str]) -> None:
        try:
            with connect_sse(client, "GET", STREAM, params=params, headers=headers) as source:
                self.status = source.response.status_code
                self.connected.set()
                for sse in source.iter_sse():
                    if self.stopping.is_set():
                        return
                    if sse.data:  # httpx-sse hands a heartbeat on as an empty message
                        assert sse.event == "message"
                        self.events.append((sse.id, json.loads(sse.data)))
        finally:
            self.connected.set()

    def until(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        until(lambda: len(self.events) >= count)
        return self.events

    def stop(self) -> None:
        """Disconnect (at the next event or heartbeat)."""
        self.stopping.set()
        self._thread.join(timeout=DEADLINE)
        assert not self._thread.is_alive()


def births(count: int, province: str = "034", **register: Any) -> list[dict[str, Any]]:
    """Births in `province`, each with a mother of it (`authority=` another office)."""
    return [
        a_birth(
            a_pin("M", 1990, province), "1990-01-01", mother=a_pin("F", 1960, province), **register
        )
        for _ in range(count)
    ]


FAST = {"stream_heartbeat_seconds": 0.2}


def test_events_written_while_connected_arrive_in_order_as_the_pull_feed_gives_them(
    serve: ServerFactory,
) -> None:
    server = serve(**FAST)
    server.record(*births(2))  # before: the stream starts with them
    listener = Listener(server.client("subscriber"))
    acts = server.record(*births(3))
    received = listener.until(5)
    listener.stop()
    assert [event["data"]["act"] for _, event in received][2:] == acts
    assert [event for _, event in received] == server.pulled("subscriber")
    for id_, event in received:
        cloud_event = JSONFormat().read(None, json.dumps(event).encode())
        assert cloud_event.get_specversion() == "1.0"
        assert cloud_event.get_extension("position") == int(id_)
        assert cloud_event.get_source() == server.context.settings.event_source


def test_a_burst_of_more_events_than_a_page_arrives_whole_while_live(
    serve: ServerFactory,
) -> None:
    """Caught-up streams share the burst's pages; each page but the last is full and the
    stream reads on without waiting for the feed to move again."""
    server = serve(stream_buffer_events=2, **FAST)
    first = server.record(*births(1))
    listener = Listener(server.client("subscriber"))
    listener.until(1)  # caught up: waiting for the feed to move
    projections = server.context.projections
    assert projections.follower is not None
    projections.follower.stop()  # the burst's feed rows then commit in one batch
    burst = server.record(*births(5))
    projections.follow(poll_seconds=0.05)
    received = listener.until(6)
    listener.stop()
    assert [event["data"]["act"] for _, event in received] == first + burst


def test_a_reconnect_with_last_event_id_misses_nothing_and_repeats_nothing(
    serve: ServerFactory,
) -> None:
    server = serve(**FAST)
    server.record(*births(2))
    first = Listener(server.client("subscriber"))
    received = list(first.until(2))
    first.stop()
    server.record(*births(3))  # while disconnected
    last_id = first.events[-1][0]
    # `after=0` too, as an EventSource reconnecting with its first URL: Last-Event-ID wins.
    second = Listener(server.client("subscriber"), {"after": 0}, last=last_id)
    server.record(*births(1))  # after reconnecting
    received += second.until(1 + 3 + (len(first.events) - 2))[len(first.events) - 2 :]
    second.stop()
    ids = [event["id"] for _, event in received]
    assert len(ids) == len(set(ids))
    assert [event for _, event in received] == server.pulled("subscriber")


def test_a_consumer_that_stops_reading_is_cut_off_without_slowing_another(
    serve: ServerFactory,
) -> None:
    server = serve(stream_buffer_events=2, stream_send_timeout_seconds=0.2, **FAST)
    key = server.keys["subscriber"]
    stalled = stalled_stream(server.base, key)
    try:
        steady = Listener(server.client("subscriber"))
        large = [a_large_birth() for _ in range(LARGE)]
        started = time.monotonic()
        server.record(*large)
        steady.until(LARGE)
        took = time.monotonic() - started
        steady.stop()
        # The stalled client took nothing: its sends block, and it is dropped.
        received = drain(stalled)
    finally:
        stalled.close()
    ids = [int(id_) for id_ in received]
    steady_ids = [int(id_) for id_, _ in steady.events]
    assert ids == steady_ids[: len(ids)] and len(ids) < LARGE, "cut off, nothing skipped"
    assert took < 15, f"the steady consumer took {took:.1f}s"
    resumed = Listener(server.client("subscriber"), last=str(ids[-1]) if ids else "0")
    assert [int(i) for i, _ in resumed.until(LARGE - len(ids))] == steady_ids[len(ids) :]
    resumed.stop()


LARGE = 80
"""Events of about 150 kB (12 MB in all): more than a stalled connection's buffers hold
(the kernel's send buffer grows to 4 MB)."""


def a_large_birth() -> dict[str, Any]:
    return a_birth(a_pin("M", 1990, "034"), "1990-01-01") | {
        "extra": {f"note{i}": "ữ" * 1000 for i in range(50)}
    }


def stalled_stream(base: str, key: str) -> socket.socket:
    """A stream opened over a socket with a small receive buffer, its answer's head read,
    then left unread."""
    host, port = base.removeprefix("http://").split(":")
    connection = socket.socket()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    connection.connect((host, int(port)))
    request = f"GET {STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n"
    connection.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += connection.recv(1)
    assert head.startswith(b"HTTP/1.1 200"), head
    return connection


def drain(connection: socket.socket) -> list[str]:
    """Read what the server sent until it closed the connection; the ids of the complete
    messages in it."""
    connection.settimeout(DEADLINE)
    data = b""
    end = time.monotonic() + DEADLINE
    while chunk := connection.recv(1 << 20):
        data += chunk
        if time.monotonic() > end:
            pytest.fail(f"not cut off: {len(data)} bytes read, still open")
    messages = data.split(b"\n\n")[:-1]  # the last is cut short or empty
    return [
        line.split(b": ", 1)[1].decode()
        for each in messages
        for line in each.split(b"\n")
        if line.startswith(b"id: ")
    ]


def test_a_provincial_subscriber_never_receives_another_province(serve: ServerFactory) -> None:
    server = serve(**FAST)
    listener = Listener(server.client("subscriber"))  # Thái Bình (034)
    national = Listener(server.client(server.subscriber("national")), {"province": "001"})
    server.record(*births(2, "001", authority=HANOI))
    [thai_binh] = server.record(*births(1))
    received = listener.until(1)
    hanoi = national.until(2)
    listener.stop()
    national.stop()
    assert [event["data"]["act"] for _, event in received] == [thai_binh]
    assert all(event["data"]["reference"]["province"] == "001" for _, event in hanoi)
    refused = server.client("subscriber").get(STREAM, params={"province": "001"})
    is_problem(refused, 422, "province-not-subscribed")


def test_the_statistics_profile_carries_no_pin_and_no_name(serve: ServerFactory) -> None:
    server = serve(**FAST)
    listener = Listener(server.client(server.subscriber("statistics", profile="statistics")))
    entries = births(2)
    server.record(*entries)
    received = listener.until(2)
    listener.stop()
    for _, event in received:
        text = json.dumps(event, ensure_ascii=False)
        assert "subject" not in event
        assert not re.search(r"\d{12}", text), text
        assert not any(name in text for name in ("Nguyễn", "Trần")), text
        assert {party["role"] for party in event["data"]["parties"]} == {"child", "mother"}


@pytest.mark.parametrize("last_event_id", ["abc", "-1", "1.5", "", "7e3", "٣", str(2**63)])
def test_a_last_event_id_that_is_not_a_position_is_a_422(
    serve: ServerFactory, last_event_id: str
) -> None:
    server = serve()
    answer = server.client("subscriber").get(
        STREAM, headers={b"Last-Event-ID": last_event_id.encode()}
    )
    problem = is_problem(answer, 422, "invalid-last-event-id")
    assert problem["field"] == "Last-Event-ID"


def test_a_start_beyond_the_ledger_is_a_422_and_strangers_are_refused(
    serve: ServerFactory,
) -> None:
    server = serve()
    server.record(*births(1))
    subscriber = server.client("subscriber")
    beyond = str(server.context.ledger.position() + 1)
    for answer in (
        subscriber.get(STREAM, headers={"Last-Event-ID": beyond}),
        subscriber.get(STREAM, params={"after": beyond}),
    ):
        is_problem(answer, 422, "after-beyond-position")
    is_problem(server.client("officer").get(STREAM), 403, "forbidden")
    is_problem(server.client("admin").get(STREAM), 403, "forbidden")
    is_problem(server.client(None).get(STREAM), 401, "unauthenticated")


def test_a_quiet_stream_sends_heartbeats(serve: ServerFactory) -> None:
    server = serve(**FAST)
    with server.client("subscriber").stream("GET", STREAM) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": heartbeat"


def test_the_server_stops_promptly_with_streams_open(database_url: str) -> None:
    """`uvicorn` stopped by SIGTERM as in production: open streams end, nothing hangs."""
    keys = make_users(api_settings(database_url))
    port = free_port()
    environment = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "lifeledger.api.app:create_app_from_env",
    ]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning"],
        env=environment,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {keys['subscriber']}"},
            timeout=DEADLINE,
        )
        until(lambda: answers(client))
        listeners = [Listener(client) for _ in range(3)]
        process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal once it has shut down: the exit status is SIGTERM's.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
        for listener in listeners:
            listener.stop()
        client.close()
    finally:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(client: httpx.Client) -> bool:
    try:
        return client.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_the_ledger_followed_apart_by_lifeledger_follow(
    serve: ServerFactory, database_url: str
) -> None:
    """With LIFELEDGER_FOLLOW_IN_SERVE=false the server keeps neither the read models nor the
    Merkle log; `lifeledger follow` in a process of its own does, the live stream delivers
    what it projects, and SIGTERM stops it."""
    server = serve(follow_in_serve=False, **FAST)
    listener = Listener(server.client("subscriber"))
    acts = server.record(*births(2))
    ledger_position = server.context.ledger.position()
    assert server.context.projections.runner.position() == 0  # nobody follows yet
    environment = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "lifeledger.cli", "follow"]
    follower = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
    try:
        received = listener.until(2)
        assert [event["data"]["act"] for _, event in received] == acts
        assert server.context.merkle.wait_for(ledger_position, timeout=DEADLINE)
    finally:
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=DEADLINE) == 0, follower.stderr
    listener.stop()
