"""Ingest benchmark: import a generated register export with every rule checked, next to a
raw PostgreSQL batched INSERT of the same number of rows measured in the same run.

    .venv/bin/python bench/ingest.py --entries 100000

Prints entries/s for the import, rows/s for the baseline and their ratio (target: the
import reaches ≥ 8% of the raw rate, about 5,000 entries/s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from bench.generate_export import generate
except ImportError:  # the projection benchmark's family generator serves as well
    from bench.families import generate  # type: ignore[assignment]  # fewer options, same use
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BASELINE_ROWS_PER_TRANSACTION = 1000


def write_export(path: Path, entries: int, seed: int) -> int:
    with path.open("w", encoding="utf-8") as out:
        count = 0
        for entry in generate(entries, seed=seed):
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            count += 1
    return count


def raw_insert_rate(url: str, export: Path) -> float:
    """Rows/s of a plain batched INSERT of the export's lines (1,000 rows per transaction)."""
    lines = export.read_text(encoding="utf-8").splitlines()
    with psycopg.connect(DatabaseUrl.parse(url).conninfo()) as conn:
        conn.execute("CREATE TABLE raw_entries (id bigserial PRIMARY KEY, entry text NOT NULL)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for start in range(0, len(lines), BASELINE_ROWS_PER_TRANSACTION):
                batch = lines[start : start + BASELINE_ROWS_PER_TRANSACTION]
                cursor.executemany(
                    "INSERT INTO raw_entries (entry) VALUES (%s)", [(line,) for line in batch]
                )
                conn.commit()
        return len(lines) / (time.perf_counter() - started)


def import_rate(url: str, export: Path, batch_size: int) -> tuple[float, dict[str, int]]:
    ledger = Ledger(Settings(database_url=url, import_batch_size=batch_size))
    started = time.perf_counter()
    summary = import_files(ledger, [export], approve_as="bench-approver", entered_by="bench-op")
    elapsed = time.perf_counter() - started
    ledger.close()
    return summary.lines / elapsed, summary.as_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--sqlite", action="store_true", help="also import into SQLite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
        export = Path(tmp) / "export.jsonl"
        lines = write_export(export, args.entries, args.seed)
        names = [f"lifeledger_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        urls = [DatabaseUrl.parse(SERVER).with_dbname(name) for name in names]
        for url in urls:
            create_database(url)
        try:
            baseline = raw_insert_rate(urls[0], export)
            rate, counts = import_rate(urls[1], export, args.batch_size)
        finally:
            for url in urls:
                drop_database(url)
        print(f"entries: {lines}  outcome: {json.dumps(counts)}")
        print(f"raw PostgreSQL INSERT (1,000 rows/transaction): {baseline:10,.0f} rows/s")
        print(f"lifeledger import, every rule checked:          {rate:10,.0f} entries/s")
        print(f"ratio: {rate / baseline:.1%} of the raw rate (target ≥ 8%)")
        if args.sqlite:
            sqlite_rate, _ = import_rate(f"sqlite:///{tmp}/bench.db", export, args.batch_size)
            print(f"lifeledger import on SQLite:                    {sqlite_rate:10,.0f} entries/s")
        if counts["accepted"] != lines:
            print("warning: not every generated entry was accepted", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
