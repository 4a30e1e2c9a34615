# ruff: noqa: E402  (imports follow the sys.path fix below)
"""HTTP lookup benchmark: `GET /v1/persons/{pin}` (the person with parents, children, spouses
and siblings) served by `lifeledger serve --workers 2` on PostgreSQL, under load from a
separate process, next to two baselines served by the same server in the same run: a
trivial endpoint (`/healthz`) and one primary-key SELECT through the same connection pool
(a hidden route, on with `LIFELEDGER_BENCH_ROUTES=1`).

    .venv/bin/python bench/http.py                   # 1,000,000 persons
    .venv/bin/python bench/http.py --persons 50000 --duration 10
    .venv/bin/python bench/http.py --database postgresql://postgres@127.0.0.1/ll_bench --keep
    .venv/bin/python bench/http.py --smoke           # a few hundred persons, 2 s of load each

Data: a generated register export (`bench/generate_export.py`'s `generate()`, else
`bench/families.py`'s) imported with every rule checked (`import_files`), then the
projections caught up: the read model is exactly what production builds. With
`--database` an already loaded database is reused (loaded only when empty; never dropped).
Load: `wrk` when installed (`apt-get install -y wrk`), else an asyncio httpx client in a
child process, 8 connections by default (every endpoint is saturated by then; more only
queue). Endpoints are measured in interleaved rounds (3), best round kept, because the
machine may be shared. Prints requests/s and p50/p99 per endpoint and the person lookup's
share of the one-SELECT endpoint's throughput (target ≥ 70%, p99 < 50 ms).
Loading 1,000,000 persons (1.44 M entries, 4.4 M events) takes about an hour here: keep
the database (`--keep`, or load into `--database`) to measure again. With `--fill` the read
model is filled by applying generated acts straight to the registry projection (as
`bench/projections.py` does for its lookups), which takes minutes; the event store stays
empty, and a person read uses only the read model either way.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and `bench/http.py` would
# shadow the standard library's `http` package (which httpx imports).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from typing import Any

import httpx

ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import Result, run_load
from bench.projections import fill_once
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SHARE, TARGET_P99_MS = 0.70, 50.0


def generator() -> Any:
    try:
        from bench.generate_export import generate
    except ImportError:
        from bench.families import generate  # type: ignore[assignment]  # fewer options
    return generate


def write_export(path: Path, persons: int, seed: int) -> int:
    """A register export holding `persons` births (and the marriages, deaths, … around them)."""
    births = 0
    with path.open("w", encoding="utf-8") as out:
        for entry in generator()(persons * 4, seed=seed):
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
            births += entry["kind"] == "birth"
            if births >= persons:
                break
    return births


def load(url: str, persons: int, seed: int, fill: bool) -> None:
    """Import a generated export into an empty ledger (or, with `fill`, fill the read model
    straight from generated acts) and bring the read models up to date."""
    settings = Settings(database_url=url, import_batch_size=1000)
    ledger = Ledger(settings)
    try:
        if ledger.position() > 0:
            say(f"reusing the loaded ledger ({ledger.position()} events)")
        elif fill:
            held, seconds = fill_once(url, persons)
            say(f"read model of {held} persons (filled in {seconds:.0f} s; 0: reused)")
        else:
            with tempfile.TemporaryDirectory(prefix="lifeledger-bench-") as tmp:
                export = Path(tmp) / "export.jsonl"
                started = time.perf_counter()
                births = write_export(export, persons, seed)
                say(f"generated {births} births in {time.perf_counter() - started:.0f} s")
                started = time.perf_counter()
                summary = import_files(
                    ledger, [export], approve_as="bench-approver", entered_by="bench-op"
                )
                say(f"imported {summary.as_dict()} in {time.perf_counter() - started:.0f} s")
        projections = Projections(ledger)
        started = time.perf_counter()
        applied = projections.runner.catch_up()
        say(f"projections applied {applied} events in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        projections.runner.settle()
        say(f"stored person documents refreshed in {time.perf_counter() - started:.0f} s")
        projections.close()
    finally:
        ledger.close()


def sample_pins(url: str, count: int) -> tuple[list[str], int]:
    """Persons to look up, chosen at random (most have parents, many spouses and children)."""
    db = ViewDatabase(url, pool_size=1)
    try:
        rows = db.rows("SELECT pin FROM ll_person ORDER BY random() LIMIT %s", (count,))
        total = db.row("SELECT count(*) AS n FROM ll_person")
    finally:
        db.close()
    persons = int(total["n"]) if total else 0
    say(f"{persons} persons in the read model; {len(rows)} sampled")
    return [row["pin"] for row in rows], persons


def api_key(url: str) -> str:
    db = ViewDatabase(url, pool_size=1)
    try:
        users = UserStore(db)
        users.setup()
        return users.add(f"bench-{uuid.uuid4().hex[:8]}", ["officer"])
    finally:
        db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`lifeledger serve` in its own process group."""

    def __init__(self, url: str, workers: int, pool_size: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "LIFELEDGER_DATABASE_URL": url,
            "LIFELEDGER_BENCH_ROUTES": "1",
            "LIFELEDGER_POOL_SIZE": str(pool_size),
        }
        command = [
            str(Path(sys.executable).parent / "lifeledger"),
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--no-demo",
        ]
        self.process = subprocess.Popen(
            command,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                assert self.process.stderr is not None
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server not ready in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def check_answers(server: Server, key: str, pins: list[str]) -> None:
    """The endpoints answer what they should before they are timed."""
    headers = {"Authorization": f"Bearer {key}"}
    person = httpx.get(f"{server.base}/v1/persons/{pins[0]}", headers=headers, timeout=10)
    assert person.status_code == 200, person.text
    assert {"parents", "children", "spouses", "siblings"} <= set(person.json())
    select = httpx.get(f"{server.base}/_bench/select/{pins[0]}", timeout=10)
    assert select.status_code == 200 and select.json()["pin"] == pins[0], select.text


def measure(server: Server, key: str, pins: list[str], args: argparse.Namespace) -> list[Result]:
    endpoints = [
        ("trivial: GET /healthz", "/healthz", False),
        ("one PK SELECT: GET /_bench/select/{pin}", "/_bench/select/", True),
        ("person: GET /v1/persons/{pin}", "/v1/persons/", True),
    ]
    best: dict[str, Result] = {}
    # Rounds interleave the endpoints, so a neighbour's load on the machine hits all of them;
    # each endpoint keeps its best round.
    for round_number in range(1, args.rounds + 1):
        for name, path, with_pin in endpoints:
            result = run_load(
                base=server.base,
                path=path,
                pins=pins if with_pin else [],
                key=key,
                duration=args.duration,
                warmup=args.warmup,
                connections=args.connections,
                threads=args.threads,
                tool=args.tool,
            ).named(name)
            say(
                f"round {round_number}: {name}: {result.rps:,.0f} req/s, "
                f"p99 {result.p99_ms:.1f} ms ({result.tool})"
            )
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    return [best[name] for name, _, _ in endpoints]


def report(results: list[Result], persons: int, workers: int) -> None:
    trivial, select, person = results
    share = person.rps / select.rps if select.rps else 0.0
    print(
        f"\nHTTP lookups at {persons:,} persons, {workers} workers, "
        f"load by {person.tool} (best of the rounds)"
    )
    print(f"{'endpoint':45} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(f"{r.name:45} {r.rps:9,.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7d}")
    verdict = "met" if share >= TARGET_SHARE and person.p99_ms < TARGET_P99_MS else "MISSED"
    print(
        f"person lookup / one PK SELECT: {share:.0%} (target ≥ {TARGET_SHARE:.0%}); "
        f"person p99 {person.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms): {verdict}"
    )
    print(f"trivial endpoint: {trivial.rps:,.0f} req/s")


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load each")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved; best round kept")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--pool-size", type=int, default=8, help="connections per worker")
    parser.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="use (and keep) this PostgreSQL database")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument(
        "--fill",
        action="store_true",
        help="fill the read model from generated acts instead of importing (the ledger stays "
        "empty; reads use only the read model)",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny data, 2 s of load each")
    args = parser.parse_args()
    if args.smoke:
        args.persons, args.duration, args.warmup = min(args.persons, 300), 2.0, 0.5
        args.rounds = 1
        args.connections = min(args.connections, 8)
    if args.tool == "auto":
        args.tool = "wrk" if shutil.which("wrk") else "httpx"
    return args


def main() -> int:
    args = parse()
    url = args.database or DatabaseUrl.parse(SERVER).with_dbname(
        f"lifeledger_bench_{uuid.uuid4().hex[:8]}"
    )
    if not args.database:
        create_database(url)
    server = None
    try:
        load(url, args.persons, args.seed, args.fill)
        (pins, persons), key = sample_pins(url, 10_000), api_key(url)
        server = Server(url, args.workers, args.pool_size)
        server.wait_ready()
        check_answers(server, key, pins)
        results = measure(server, key, pins, args)
        report(results, persons, args.workers)
    finally:
        if server is not None:
            server.stop()
        if not (args.database or args.keep):
            drop_database(url)
        elif not args.database:
            say(f"kept {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
