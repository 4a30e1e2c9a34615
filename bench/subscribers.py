# ruff: noqa: E402  (imports follow the sys.path fix below)
"""Subscribers benchmark on PostgreSQL: how fast the feed's channels deliver, in one run.

(a) Live stream latency: --subscribers SSE clients (`GET /v1/events/stream`, httpx-sse, in
    this process) connected to `uvicorn` (its own process) while an import (a third process)
    writes --entries generated entries of 50 provinces, each client a subscriber of one of
    them. For every event received: **commit-to-delivery** = receive time − the moment the
    feed's rows holding it committed (seen by a LISTEN on `event_feed.CHANNEL` in this
    process, the hub's own signal); and end to end = receive time − the envelope's `time`
    (when the ledger made the event, so it includes the import batch's own time and the
    projection's lag). p50 / p99 of each. Target: commit-to-delivery p99 < 100 ms.
(b) Feed read throughput: the whole range read in pages of 1,000 with `feed.reader.read()`
    (a national `full` reader: envelopes made), events/s, next to the library's own read of
    the same range (`select_notifications` + `mapper.to_domain_event`, pages of 1,000), in
    notifications/s; the median of --rounds alternating rounds. Target: ≥ 50 % of it.
(c) When their modules are there: webhook deliveries/s (`bench/subscribers_webhooks.py`)
    and relay events/s (`bench/subscribers_relay.py`), over the same database.

    .venv/bin/python bench/subscribers.py                # 3,000 entries, 100 subscribers
    .venv/bin/python bench/subscribers.py --smoke        # tiny sizes, checks that it runs
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and `bench/http.py` would
# shadow the standard library's `http` package (which httpx imports).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import asyncio
import bisect
import importlib
import itertools
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_export import generate
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.domain.provinces import PROVINCES
from lifeledger.feed import reader as feed_reader
from lifeledger.feed.reader import Reader
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import event_feed
from lifeledger.settings import Settings

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PROVINCE_COUNT = 50
PAGE = 1000
EXTRA_SECTIONS = (
    ("bench.subscribers_webhooks", "deliveries_per_second", "webhook deliveries"),
    ("bench.subscribers_relay", "relay_events_per_second", "relay"),
)
"""Sections other work adds: (module, its function(database_url, events) -> rate, label)."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# (a) the live stream under an import


def export_of(path: Path, entries: int, provinces: list[str]) -> None:
    """`entries` generated entries, the provinces' lines interleaved (each province's own
    order kept: a family's acts come in the order the generator made them)."""
    each = max(1, entries // len(provinces))
    streams = [generate(each, seed=i, province=p) for i, p in enumerate(provinces)]
    with path.open("w") as out:
        for line in itertools.chain.from_iterable(itertools.zip_longest(*streams)):
            if line is not None:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


def run_import(url: str, path: str) -> None:
    """In a process of its own, as an office's import would run beside the server."""
    ledger = Ledger(Settings(database_url=url))
    try:
        import_files(ledger, [Path(path)], approve_as="bench-approver", entered_by="bench-op")
    finally:
        ledger.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class CommitClock:
    """When the feed's rows at each position committed: a LISTEN on the feed's channel, the
    tracked position read at each notification."""

    def __init__(self, url: str) -> None:
        self.db = ViewDatabase(url, pool_size=1)
        self.times: list[float] = []
        self.positions: list[int] = []
        self.stopping = threading.Event()
        self.listener = psycopg.connect(DatabaseUrl.parse(url).conninfo(), autocommit=True)
        self.listener.execute(f'LISTEN "{event_feed.CHANNEL}"')
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            for _ in self.listener.notifies(timeout=0.2, stop_after=1):
                seen = time.time()
                position = event_feed.tracked_position(self.db)
                if not self.positions or position > self.positions[-1]:
                    self.positions.append(position)
                    self.times.append(seen)

    def committed(self, position: int) -> float | None:
        index = bisect.bisect_left(self.positions, position)
        return self.times[index] if index < len(self.times) else None

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.listener.close()
        self.db.close()


@dataclass
class Received:
    """What the clients got: (arrival time, an SSE message's `data`) per event, read after the
    run; the last position each client received."""

    messages: list[tuple[float, bytes]] = field(default_factory=list)
    last: dict[int, int] = field(default_factory=dict)  # client → last position received

    def events(self) -> list[tuple[int, float, float]]:
        """(position, arrival time, the envelope's time) of every event received."""
        found = []
        for at, data in self.messages:
            event = json.loads(data)
            made = datetime.fromisoformat(event["time"]).timestamp()
            found.append((event["position"], at, made))
        return found


async def follow(client: httpx.AsyncClient, number: int, key: str, received: Received) -> None:
    """One subscriber's stream: each message timed when the bytes holding it arrive, its JSON
    read after the run (100 clients parsing as they go, on the cores the server uses, would
    add their own queueing to what is measured)."""
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
    async with client.stream("GET", "/v1/events/stream", headers=headers) as response:
        response.raise_for_status()
        pending = b""
        async for chunk in response.aiter_raw():
            at = time.time()
            *messages, pending = (pending + chunk).split(b"\n\n")
            for message in messages:
                fields = dict(
                    line.split(b": ", 1) for line in message.split(b"\n") if b": " in line
                )
                if b"data" in fields:
                    received.messages.append((at, fields[b"data"]))
                    received.last[number] = int(fields[b"id"])


async def listen_during(
    base: str, keys: list[str], write: Callable[[], dict[int, int]]
) -> Received:
    """Connect a client per key, run `write` in a thread (it returns the last position each
    client must receive), wait until each has."""
    received = Received()
    limits = httpx.Limits(max_connections=len(keys) + 10)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        tasks = [
            asyncio.create_task(follow(client, n, key, received)) for n, key in enumerate(keys)
        ]
        await asyncio.sleep(1.0)  # every client connected and caught up (the ledger is empty)
        expected = await asyncio.to_thread(write)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and any(
            received.last.get(n, 0) < last for n, last in expected.items()
        ):
            await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return received


def subscriber_keys(url: str, provinces: list[str], subscribers: int) -> list[str]:
    """A subscriber user per province; the clients take them in turn."""
    db = ViewDatabase(url, pool_size=1)
    try:
        users = UserStore(db)
        users.setup()
        keys = [users.add(f"sub-{p}", ["subscriber"], [p]) for p in provinces]
    finally:
        db.close()
    return [keys[n % len(keys)] for n in range(subscribers)]


def expected_last(url: str, provinces: list[str], subscribers: int) -> dict[int, int]:
    """The last feed position of each client's province, once the feed has caught up."""
    db = ViewDatabase(url, pool_size=1)
    try:
        ledger_head = Ledger(Settings(database_url=url))
        head = ledger_head.position()
        ledger_head.close()
        while event_feed.tracked_position(db) < head:
            time.sleep(0.1)
        last = {
            row["province"]: int(row["last"])
            for row in db.rows(
                "SELECT province, max(position) AS last FROM ll_event_province GROUP BY province"
            )
        }
    finally:
        db.close()
    return {n: last.get(provinces[n % len(provinces)], 0) for n in range(subscribers)}


@contextmanager
def served(
    url: str, follow_apart: bool = False, environment: dict[str, str] | None = None
) -> Iterator[str]:
    """`uvicorn` serving the app on `url`'s ledger, in its own process; its base URL. With
    `follow_apart`, the read models and the Merkle log are kept by `lifeledger follow` in a
    process of its own (LIFELEDGER_FOLLOW_IN_SERVE=false), else by the server's threads."""
    port = free_port()
    environment = environment or {**os.environ, "LIFELEDGER_DATABASE_URL": url}
    if follow_apart:
        environment["LIFELEDGER_FOLLOW_IN_SERVE"] = "false"
        follow = [sys.executable, "-m", "lifeledger.cli", "follow"]
        with subprocess.Popen(follow, env=environment, stderr=subprocess.DEVNULL) as follower:
            try:
                with served(url, environment=environment) as base:
                    yield base
            finally:
                follower.terminate()
        return
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "lifeledger.api.app:create_app_from_env",
    ]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def stream_latency(
    url: str, entries: int, subscribers: int, follow_apart: bool = False
) -> dict[str, Any]:
    provinces = sorted(PROVINCES)[:PROVINCE_COUNT]
    keys = subscriber_keys(url, provinces, subscribers)
    with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
        export = Path(tmp) / "export.jsonl"
        export_of(export, entries, provinces)

        def write() -> dict[int, int]:
            importer = multiprocessing.get_context("spawn").Process(
                target=run_import, args=(url, str(export))
            )
            importer.start()
            importer.join()
            if importer.exitcode != 0:
                raise RuntimeError("the import failed")
            return expected_last(url, provinces, subscribers)

        clock = CommitClock(url)
        try:
            with served(url, follow_apart) as base:
                started = time.perf_counter()
                received = asyncio.run(listen_during(base, keys, write))
                elapsed = time.perf_counter() - started
        finally:
            clock.close()
    events = received.events()
    after_commit = [
        (at - committed) * 1000
        for position, at, _ in events
        if (committed := clock.committed(position)) is not None
    ]
    end_to_end = [(at - made) * 1000 for _, at, made in events]
    return {
        "messages": len(events),
        "seconds": elapsed,
        "commit_p50": percentile(after_commit, 0.5),
        "commit_p99": percentile(after_commit, 0.99),
        "end_p50": percentile(end_to_end, 0.5),
        "end_p99": percentile(end_to_end, 0.99),
    }


# (b) feed read throughput against the library's notification log


def feed_rate(db: ViewDatabase, reader: Reader, head: int) -> float:
    started, count, after = time.perf_counter(), 0, 0
    while after < head:
        page = feed_reader.read(db, reader, after, PAGE)
        count += len(page.items)
        if page.next_after == after:
            break
        after = page.next_after
    return count / (time.perf_counter() - started)


def library_rate(ledger: Ledger, head: int) -> float:
    started, count, start = time.perf_counter(), 0, 1
    while start <= head:
        notifications = ledger.recorder.select_notifications(start=start, limit=PAGE, stop=head)
        if not notifications:
            break
        for notification in notifications:
            ledger.mapper.to_domain_event(notification)
        count += len(notifications)
        start = notifications[-1].id + 1
    return count / (time.perf_counter() - started)


def read_throughput(url: str, rounds: int) -> dict[str, Any]:
    ledger = Ledger(Settings(database_url=url))
    db = ViewDatabase(url, pool_size=2)
    try:
        head = ledger.position()
        reader = Reader(scope=frozenset(), profile="full", source="urn:lifeledger:bench")
        feed, library = [], []
        for _ in range(rounds):  # alternating, so the machine's noise falls on both
            feed.append(feed_rate(db, reader, head))
            library.append(library_rate(ledger, head))
        events = int(db.row("SELECT count(*) AS n FROM ll_event")["n"])  # type: ignore[index]
    finally:
        db.close()
        ledger.close()
    return {
        "head": head,
        "events": events,
        "feed": statistics.median(feed),
        "library": statistics.median(library),
    }


# (c) the sections other work adds


def extra_sections(url: str, events: int) -> Iterator[str]:
    """A line per section whose module is there (see EXTRA_SECTIONS)."""
    for module_name, function, label in EXTRA_SECTIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name != module_name:
                raise
            continue
        rate = getattr(module, function)(url, events)
        yield f"{label}: {rate:,.0f}/s ({module_name}.{function}, {events:,} events)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (a database is made)")
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.entries, args.subscribers, args.rounds = 100, 5, 1
    for follow_apart in (False, True):
        with scratch_database(args.server) as url:
            live = stream_latency(url, args.entries, args.subscribers, follow_apart)
            where = "apart (`lifeledger follow`)" if follow_apart else "in the server"
            print(
                f"live stream, read models followed {where}, {args.subscribers} subscribers "
                f"of {PROVINCE_COUNT} provinces, an import of {args.entries:,} entries: "
                f"{live['messages']:,} messages in {live['seconds']:.1f} s; commit-to-delivery"
                f" p50 {live['commit_p50']:.1f} ms, p99 {live['commit_p99']:.1f} ms (target <"
                f" 100 ms); end to end (from the envelope's time) p50 {live['end_p50']:.0f} ms,"
                f" p99 {live['end_p99']:.0f} ms"
            )
            if follow_apart:  # the second ledger is read by the rest
                print_reads(url, args.rounds)
    return 0


def print_reads(url: str, rounds: int) -> None:
    read = read_throughput(url, rounds)
    share = read["feed"] / read["library"]
    print(
        f"feed read: {read['feed']:,.0f} events/s ({read['events']:,} events, pages of "
        f"{PAGE}) against the library's notification log {read['library']:,.0f} "
        f"notifications/s ({read['head']:,}): {share:.0%} (target >= 50 %)"
    )
    for line in extra_sections(url, read["events"]):
        print(line)


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    url = DatabaseUrl.parse(server).with_dbname(f"ll_bench_sub_{uuid.uuid4().hex[:8]}")
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)


if __name__ == "__main__":
    sys.exit(main())
