"""The NATS JetStream relay's throughput: feed events per second from the read model into a
fresh stream, each copied once per province it concerns, acks awaited per batch.

    .venv/bin/python bench/subscribers_relay.py                   # 10,000 acts, SQLite
    .venv/bin/python bench/subscribers_relay.py --events 20000 --postgres
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nats
from nats.js.errors import NotFoundError

from bench.families import generate
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.domain.entry_reader import parse_act
from lifeledger.feed.relay import Options, Relay
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 500


def relay_events_per_second(database_url: str, events: int) -> float:
    """Write `events` acts, relay the whole feed into a fresh stream (deleted after) and
    return the feed events relayed per second."""
    settings = Settings(database_url=database_url)
    ledger = Ledger(settings)
    projections = Projections(ledger)
    name = uuid.uuid4().hex[:12]
    options = Options(
        url=settings.nats_url,
        stream=f"BENCH_{name}",
        prefix=f"bench_{name}",
        profile="full",
        source=settings.event_source,
        batch_size=settings.relay_batch_size,
    )
    try:
        _write_acts(ledger, events)
        projections.runner.catch_up()
        row = projections.db.row("SELECT COUNT(*) AS n FROM ll_event")
        feed_events = int(row["n"]) if row else 0
        relay = Relay(projections.db, options, say=lambda line: None)
        started = time.perf_counter()
        asyncio.run(relay.run(asyncio.Event(), until_caught_up=True))
        elapsed = time.perf_counter() - started
    finally:
        asyncio.run(_delete_stream(options))
        projections.close()
        ledger.close()
    return feed_events / elapsed


def _write_acts(ledger: Ledger, events: int) -> None:
    """Generated families' acts, in the order they happen (a refused one is left out)."""
    recorder = Recorder("bench")
    acts = generate(events)
    while batch := [parse_act(entry) for entry in itertools.islice(acts, BATCH)]:
        ledger.record_many(batch, recorder)


async def _delete_stream(options: Options) -> None:
    nc = await nats.connect(options.url)
    try:
        await nc.jetstream().delete_stream(options.stream)
    except NotFoundError:
        pass
    finally:
        await nc.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="acts to write [10,000]")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/ledger.db"
        if args.postgres:
            url = DatabaseUrl.parse(SERVER).with_dbname(f"bench_relay_{uuid.uuid4().hex[:8]}")
            create_database(url)
        try:
            rate = relay_events_per_second(url, args.events)
        finally:
            if args.postgres:
                drop_database(url)
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"relay to NATS JetStream ({store}, {args.events:,} acts): {rate:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
