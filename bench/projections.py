"""Projection benchmark on PostgreSQL, with its baselines measured in the same run.

(a) Catch-up: import N generated register entries, then rebuild the read models from zero
    (--rebuilds times: the median counts, all are shown) and report events/s, next to the
    eventsourcing library's way of keeping a view: each event decoded and written with its
    tracking record in a transaction of its own (a `PostgresTrackingRecorder` view that
    counts events), over the same notifications. Target: ≥ 20,000 events/s.
(b) Lookups: p50/p99 latency of `Queries.person(pin)` (and of family, relationship, search) for
    persons with parents and children, in a read model of --persons persons, next to one
    primary-key SELECT of the same person. The read model is filled by applying generated acts
    straight to the registry projection (the same code that catches up, without the event store
    and the rules), so a million persons take minutes rather than an hour of import.

    .venv/bin/python bench/projections.py                 # 100,000 entries; 1,000,000 persons
    .venv/bin/python bench/projections.py --entries 20000 --persons 100000
    .venv/bin/python bench/projections.py --smoke         # tiny sizes, checks that it runs
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.families import registered_events
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, documents
from lifeledger.projections.queries import Queries
from lifeledger.projections.registry import RegistryProjection
from lifeledger.projections.runner import SCHEMA_DDL, TRACKING_DDL, Envelope
from lifeledger.settings import Settings

try:  # the shared generator, when it is there
    from bench.generate_export import generate
except ImportError:
    from bench.families import generate  # type: ignore[assignment]  # fewer options, same use

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


class EventCounter(PostgresTrackingRecorder):
    """The library's pattern for a view: one transaction per event, with its tracking."""

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "CREATE TABLE IF NOT EXISTS bench_counts (topic TEXT PRIMARY KEY, n BIGINT)"
            )

    def count(self, topic: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "INSERT INTO bench_counts VALUES (%s, 1) "
                "ON CONFLICT (topic) DO UPDATE SET n = bench_counts.n + 1",
                (topic,),
            )
            self._insert_tracking(curs, tracking)


def one_transaction_per_event_rate(ledger: Ledger, url: str, events: int) -> float:
    parts = DatabaseUrl.parse(url)
    datastore = PostgresDatastore(parts.dbname, parts.host, parts.port, parts.user, "x")
    view = EventCounter(datastore, tracking_table_name="bench_tracking")
    view.create_table()
    started, done = time.perf_counter(), 0
    while done < events:
        batch = ledger.recorder.select_notifications(start=done + 1, limit=min(1000, events - done))
        if not batch:
            break
        for notification in batch:
            event = ledger.mapper.to_domain_event(notification)
            view.count(type(event).__qualname__, Tracking("Ledger", notification.id))
        done = batch[-1].id
    elapsed = time.perf_counter() - started
    datastore.close()
    return done / elapsed


def catch_up(
    url: str, entries: int, baseline_events: int, batch_size: int | None, rebuilds: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
        export = Path(tmp) / "export.jsonl"
        export.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n"
                                  for e in generate(entries, seed=7)))  # fmt: skip
        importer = Ledger(Settings(database_url=url, import_batch_size=500))
        summary = import_files(
            importer, [export], approve_as="bench-approver", entered_by="bench-op"
        )
        importer.close()  # the rebuild gets a ledger of its own, as `projections rebuild` does
        del importer
    ledger = Ledger(Settings(database_url=url))
    events = ledger.position()
    projections = Projections(ledger, batch_size=batch_size)
    rates = []
    for _ in range(rebuilds):  # the machine's noise shows in their spread
        started = time.perf_counter()
        applied = projections.runner.rebuild()
        rates.append(applied / (time.perf_counter() - started))
    baseline = one_transaction_per_event_rate(ledger, url, min(events, baseline_events))
    projections.close()
    ledger.close()
    return {
        "import": summary.as_dict(),
        "events": events,
        "rates": rates,
        "rate": statistics.median(rates),
        "baseline": baseline,
    }


def fill_read_model(url: str, persons: int, batch: int = 10_000) -> int:
    """Apply generated acts to the registry projection until it holds `persons` persons."""
    db = ViewDatabase(url, pool_size=2)
    projection = RegistryProjection()
    with db.transaction(lock=True) as tx:
        projection.create(tx)
        tx.execute(SCHEMA_DDL)  # so a runner started later keeps these tables (see Runner.setup)
        tx.execute(
            "INSERT INTO ll_schema (name, schema) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            (projection.name, projection.schema),
        )
    envelopes: list[Envelope] = []
    for position, event in enumerate(registered_events(persons), start=1):
        envelopes.append(Envelope(position, event, ""))
        if len(envelopes) == batch:
            _apply(db, projection, envelopes)
            envelopes = []
    _apply(db, projection, envelopes)
    with db.transaction() as tx:  # the position the filled read model stands at
        tx.execute(TRACKING_DDL)
        tx.execute(
            "INSERT INTO ll_tracking (name, position) VALUES ('registry', %s) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (position,),
        )
    db.close()
    # A steady read model has been vacuumed and analyzed (autovacuum does it in time).
    with psycopg.connect(DatabaseUrl.parse(url).conninfo(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        found = conn.execute("SELECT count(*) FROM ll_person").fetchone()
    return int(found[0]) if found else 0


def fill_once(url: str, persons: int) -> tuple[int, float]:
    """`fill_read_model` unless the read model holds persons already (a kept database);
    returns the persons held and the seconds the fill took."""
    db = ViewDatabase(url, pool_size=1)
    try:
        made = db.row("SELECT to_regclass('ll_person') IS NOT NULL AS made")
        held = db.row("SELECT count(*) AS n FROM ll_person") if made and made["made"] else None
    finally:
        db.close()
    if held and held["n"]:
        return int(held["n"]), 0.0
    started = time.perf_counter()
    return fill_read_model(url, persons), time.perf_counter() - started


def _apply(db: ViewDatabase, projection: RegistryProjection, envelopes: list[Envelope]) -> None:
    if envelopes:
        with db.transaction() as tx:
            projection.apply_batch(tx, envelopes)


def with_family(db: ViewDatabase, count: int) -> list[str]:
    """Persons with both parents and at least one child, sampled evenly."""
    rows = db.rows(
        "SELECT DISTINCT c.child_pin AS pin FROM ll_parent c JOIN ll_parent p "
        "ON p.parent_pin = c.child_pin WHERE c.role = 'father' AND c.parent_pin IS NOT NULL"
    )
    pins = sorted(r["pin"] for r in rows)
    random.Random(1).shuffle(pins)
    return pins[:count]


def latencies(call: Callable[[str], Any], pins: list[str]) -> dict[str, float]:
    times = []
    for pin in pins:
        started = time.perf_counter()
        call(pin)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def lookups(url: str, persons: int, samples: int) -> dict[str, Any]:
    held, filled = fill_once(url, persons)
    db = ViewDatabase(url, pool_size=2)
    started = time.perf_counter()
    while documents.refresh(db):
        pass
    refreshed = time.perf_counter() - started
    queries = Queries(db, runner=None)  # type: ignore[arg-type]
    pins = with_family(db, samples)
    names = {p: (db.row("SELECT full_name FROM ll_person WHERE pin = %s", (p,)) or {})
             .get("full_name") for p in pins}  # fmt: skip
    pairs = dict(zip(pins, pins[1:] + pins[:1], strict=True))
    found = {
        "primary-key SELECT (baseline)": latencies(
            lambda p: db.row("SELECT pin, full_name FROM ll_person WHERE pin = %s", (p,)), pins
        ),
        "person(pin), stored document": latencies(queries.person_json, pins),
        "person(pin), assembled": latencies(queries.person, pins),
        "person(pin, as_of)": latencies(lambda p: queries.person(p, as_of="2000-01-01"), pins),
        "family(pin, depth=2)": latencies(queries.family, pins),
        "relationship(a, b)": latencies(lambda p: queries.relationship(p, pairs[p]), pins),
        "search(full name)": latencies(lambda p: queries.search(names[p]), pins),
    }
    db.close()
    return {
        "persons": held,
        "fill_seconds": filled,
        "documents_seconds": refreshed,
        "samples": len(pins),
        "latency": found,
    }


@contextmanager
def databases(server: str, count: int) -> Iterator[list[str]]:
    urls = [DatabaseUrl.parse(server).with_dbname(f"ll_bench_{uuid.uuid4().hex[:8]}")
            for _ in range(count)]  # fmt: skip
    for url in urls:
        create_database(url)
    try:
        yield urls
    finally:
        for url in urls:
            drop_database(url)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000, help="register entries imported")
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons for lookups")
    parser.add_argument("--samples", type=int, default=2000, help="lookups timed per query")
    parser.add_argument("--baseline-events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, help="events per batch (default: the service's)")
    parser.add_argument("--rebuilds", type=int, default=3, help="rebuilds timed; the median counts")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (a database URL)")
    parser.add_argument(
        "--database",
        help="the lookups' read model: fill this PostgreSQL database when empty, reuse and keep it",
    )
    parser.add_argument("--skip-catch-up", action="store_true", help="measure the lookups only")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.entries, args.persons, args.samples, args.baseline_events = 300, 3000, 50, 300
        args.rebuilds = 1
    wanted = (not args.skip_catch_up) + (not args.database)
    with databases(args.server, wanted) as created:
        urls = list(created)  # each taken once; `databases` drops them all at the end
        if not args.skip_catch_up:
            result = catch_up(
                urls.pop(), args.entries, args.baseline_events, args.batch_size, args.rebuilds
            )
            print(f"entries: {args.entries}  import: {json.dumps(result['import'])}")
            print(f"events in the ledger: {result['events']}")
            print(f"library, one transaction per event:  {result['baseline']:10,.0f} events/s")
            each = ", ".join(f"{rate:,.0f}" for rate in result["rates"])
            print(f"lifeledger catch-up (rebuild):       {result['rate']:10,.0f} events/s"
                  f"  (median of {each})")  # fmt: skip
            rate, baseline = result["rate"], result["baseline"]
            print(f"ratio: {rate / baseline:.1f}x  (target ≥ 20,000 events/s)")
        found = lookups(args.database or urls.pop(), args.persons, args.samples)
        print(f"read model: {found['persons']:,} persons (filled in {found['fill_seconds']:.0f}s"
              " (0: reused),"
              f" documents stored in {found['documents_seconds']:.0f}s);"
              f" {found['samples']} persons with parents and children")  # fmt: skip
        for name, latency in found["latency"].items():
            print(f"  {name:32} p50 {latency['p50']:7.2f} ms   p99 {latency['p99']:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
