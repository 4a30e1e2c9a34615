"""Webhook delivery rate: `events` acts written to a fresh ledger, one subscription of a
national subscriber to a receiver on 127.0.0.1, and the time until the receiver has taken
every event of the feed (each POSTed, signed, its cursor committed after the 2xx).

    .venv/bin/python bench/subscribers_webhooks.py                     # SQLite, 1,000 acts
    .venv/bin/python bench/subscribers_webhooks.py --events 5000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_hooks  # an empty database
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and `bench/http.py` would
# shadow the standard library's `http` package (http.server here, and httpx's).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.families import generate
from lifeledger.api.migrations import migrate
from lifeledger.auth import UserStore
from lifeledger.feed.subscriptions import SubscriptionStore
from lifeledger.feed.webhooks import Deliverer
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, event_feed
from lifeledger.settings import Settings


class CountingReceiver:
    """Takes every POST with 204 and counts the distinct `webhook-id`s."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.ids.add(self.headers["webhook-id"])
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def count(self) -> int:
        with self._lock:
            return len(self.ids)


@contextmanager
def receiving() -> Iterator[CountingReceiver]:
    receiver = CountingReceiver()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def write_acts(ledger: Ledger, events: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acts.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for entry in generate(events):
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        import_files(ledger, [path], approve_as="bench-approver", entered_by="bench-entry")


def deliveries_per_second(database_url: str, events: int) -> float:
    """Webhooks delivered per second to one local receiver, after `events` acts."""
    settings = Settings(
        database_url=database_url,
        webhooks_in_serve=False,
        webhook_allowed_networks=["127.0.0.0/8"],  # type: ignore[list-item]
    )
    ledger = Ledger(settings)
    projections = Projections(ledger)
    db = projections.db
    try:
        migrate(db)
        owner = f"bench-{uuid.uuid4().hex[:8]}"
        UserStore(db).add(owner, ["subscriber"])
        with receiving() as receiver:
            cursor = ledger.position()
            SubscriptionStore(db).create(owner, receiver.url, (), (), cursor)
            write_acts(ledger, events)
            projections.runner.catch_up()
            expected = _feed_events_after(db, cursor)
            deliverer = Deliverer(settings, db)
            started = time.perf_counter()
            deliverer.start()
            try:
                while receiver.count() < expected:
                    time.sleep(0.005)
                elapsed = time.perf_counter() - started
            finally:
                deliverer.stop()
        return expected / elapsed
    finally:
        projections.close()
        ledger.close()


def _feed_events_after(db: Any, cursor: int) -> int:
    row = db.row(
        "SELECT count(*) AS n FROM ll_event WHERE position > %s AND position <= %s",
        (cursor, event_feed.tracked_position(db)),
    )
    return int(row["n"]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--database-url", help="an empty ledger (default: a temporary SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/ledger.db"
        rate = deliveries_per_second(url, args.events)
    print(f"webhook deliveries: {rate:,.0f} events/s ({args.events} acts, one subscription)")


if __name__ == "__main__":
    main()
