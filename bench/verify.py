"""Merkle log benchmark, with its baseline measured in the same run.

(a) The follower's lag under an import: `lifeledger import` of N generated register entries
    runs in a process of its own (as an office's import beside `lifeledger serve`) while
    this process follows the ledger with the log's follower (LISTEN/NOTIFY on PostgreSQL,
    polling on SQLite); every 5 ms a sampler notes the ledger's position and when the log
    first covers each noted position. Target: p99 < 1 s.
(b) `lifeledger verify`'s recomputation (read every stored event, hash it as a leaf, rebuild
    the tree, compare a stored node per 1,024 leaves) in events/s, next to a plain SHA-256 of
    each event's stored bytes read the same way (the same pages of raw rows): alternated,
    --rounds times each, medians. Target: ≥ 50 % of the baseline.

    .venv/bin/python bench/verify.py                      # PostgreSQL, 20,000 entries
    .venv/bin/python bench/verify.py --store sqlite --entries 5000
    .venv/bin/python bench/verify.py --smoke              # tiny sizes, checks that it runs
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_export import generate_lines
from lifeledger.audit.log import MerkleLog
from lifeledger.audit.verify import Verifier
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from lifeledger.stored_events import read_events

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LIFELEDGER = Path(sys.executable).with_name("lifeledger")


@contextmanager
def database(store: str, server: str) -> Iterator[str]:
    if store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
            yield f"sqlite:///{tmp}/ledger.db"
        return
    url = DatabaseUrl.parse(server).with_dbname(f"lifeledger_bench_{uuid.uuid4().hex[:10]}")
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def follow_an_import(url: str, entries: int) -> dict[str, Any]:
    """Import in a child process; follow with the log here; the lags the sampler saw."""
    ledger = Ledger(Settings(database_url=url))
    db = ViewDatabase(url, pool_size=4)
    merkle = MerkleLog(ledger, db)
    follower = merkle.follow(poll_seconds=0.2 if db.postgres else 0.05)
    lags: list[float] = []
    with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
        export = Path(tmp) / "export.jsonl"
        export.write_text("".join(line + "\n" for line in generate_lines(entries, seed=17)))
        env = {**os.environ, "LIFELEDGER_DATABASE_URL": url}
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(LIFELEDGER), "import", str(export), "--approve-as", "bench-approver",
             "--entered-by", "bench-op", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        waiting: list[tuple[float, int]] = []
        while True:
            running = child.poll() is None
            now = time.perf_counter()
            waiting.append((now, ledger.position()))
            covered = merkle.head().position
            seen = time.perf_counter()
            lags += [seen - noted for noted, position in waiting if position <= covered]
            waiting = [(noted, p) for noted, p in waiting if p > covered]
            if not running and not waiting:
                break
            time.sleep(0.005)
        imported = time.perf_counter() - started
        out, err = child.communicate()
        if child.returncode not in (0, 1):
            raise SystemExit(f"the import failed: {err}")
    follower.stop()
    events = ledger.position()
    db.close()
    ledger.close()
    return {"events": events, "import_seconds": imported, "summary": out.strip(), "lags": lags}


def verify_rates(url: str, rounds: int) -> dict[str, Any]:
    ledger = Ledger(Settings(database_url=url))
    db = ViewDatabase(url, pool_size=4)
    merkle = MerkleLog(ledger, db)
    merkle.catch_up()
    ours, plain = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        outcome = Verifier(merkle).run()
        assert outcome.anomaly is None, outcome.anomaly
        ours.append(outcome.events / (time.perf_counter() - started))
        started = time.perf_counter()
        count = plain_sha256(ledger)
        plain.append(count / (time.perf_counter() - started))
    db.close()
    ledger.close()
    return {"verify": statistics.median(ours), "plain": statistics.median(plain),
            "all_verify": ours, "all_plain": plain}  # fmt: skip


def plain_sha256(ledger: Ledger, page: int = 16 * 1024) -> int:
    """The baseline: every stored event read as `verify` reads it, its topic and state hashed."""
    count, start, sha256 = 0, 1, hashlib.sha256
    while rows := read_events(ledger.recorder, start, page):
        for row in rows:
            sha256(row[3].encode() + bytes(row[4])).digest()
        count += len(rows)
        start = rows[-1][0] + 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=20_000, help="register entries imported")
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (a database URL)")
    parser.add_argument("--rounds", type=int, default=3, help="verify and baseline runs, each")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.entries, args.rounds = 100, 1
    with database(args.store, args.server) as url:
        followed = follow_an_import(url, args.entries)
        rates = verify_rates(url, args.rounds)
    lags = followed["lags"]
    print(f"store: {args.store}  entries: {args.entries}  import: {followed['summary']}")
    print(f"events in the ledger: {followed['events']}  (imported in "
          f"{followed['import_seconds']:.1f}s)")  # fmt: skip
    print(f"follower lag under the import: p50 {percentile(lags, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(lags, 0.99) * 1000:.0f} ms, max {max(lags, default=0) * 1000:.0f} ms"
          f" over {len(lags)} samples  (target p99 < 1000 ms)")  # fmt: skip
    print(f"plain SHA-256 of the stored events:  {rates['plain']:10,.0f} events/s")
    print(f"lifeledger verify (recompute):       {rates['verify']:10,.0f} events/s")
    print(f"ratio: {rates['verify'] / rates['plain']:.0%}  (target ≥ 50 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
