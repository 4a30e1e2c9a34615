"""`lifeledger serve`: get a fresh ledger ready to try (demo data, a first credential and a
curl line that works), then run uvicorn with one or more worker processes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import uvicorn

from lifeledger.api.app import create_app
from lifeledger.api.migrations import migrate
from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl
from lifeledger.demo import DEMO_PIN, load_demo
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings

FIRST_USER = "admin"
FIRST_ROLES = ("admin", "officer", "auditor")


def demo_by_default(settings: Settings) -> bool:
    """An empty SQLite ledger (the try-it default) gets the demo data; a PostgreSQL one only
    when asked (`serve --demo`), so a production ledger never starts with made-up persons."""
    return not DatabaseUrl.parse(settings.database_url).is_postgres


def prepare(settings: Settings, say: Callable[[str], None], demo: bool | None = None) -> None:
    """Load the demo data into an empty ledger (when `demo`; by default on SQLite only);
    make a first user when there is none."""
    ledger = Ledger(settings)
    try:
        wanted = demo_by_default(settings) if demo is None else demo
        summary = load_demo(ledger) if wanted else None
        if summary is not None:
            counts = ", ".join(f"{k}: {v}" for k, v in summary.as_dict().items())
            say(f"The ledger was empty: loaded the demo data ({counts}).")
        has_demo = ledger.person(DEMO_PIN) is not None
    finally:
        ledger.close()
    db = ViewDatabase(settings.database_url, pool_size=1)
    try:
        users = UserStore(db)
        migrate(db)
        if users.count() == 0:
            key = users.add(FIRST_USER, FIRST_ROLES)
            _show_first_key(settings, key, has_demo, say)
        else:
            say("Make an API key with: lifeledger users add NAME --role officer")
    finally:
        db.close()


def _show_first_key(
    settings: Settings, key: str, has_demo: bool, say: Callable[[str], None]
) -> None:
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    path = f"/v1/persons/{DEMO_PIN}" if has_demo else "/v1/stats"
    say(
        f"Created user {FIRST_USER} ({', '.join(FIRST_ROLES)}; all provinces). "
        "Its API key, shown only this once:"
    )
    say(f"  {key}")
    say("Try:")
    say(f"  curl -H 'Authorization: Bearer {key}' http://{host}:{settings.api_port}{path}")
    say(f"API docs: http://{host}:{settings.api_port}/docs")


WORKER_HEALTHCHECK_SECONDS = 60
"""How long uvicorn's supervisor waits for a worker to answer its ping before killing it (its
default, 5 s, killed a worker on a fully loaded two-core machine, dropping its connections and
whatever it was doing, an import included)."""


def run(settings: Settings, access_log: bool = True) -> None:
    """Serve the API; with several workers, each builds its app from the environment."""
    if settings.api_workers <= 1:
        uvicorn.run(
            create_app(settings),
            host=settings.api_host,
            port=settings.api_port,
            access_log=access_log,
        )
        return
    metrics_dir = settings.metrics_dir or tempfile.mkdtemp(prefix="lifeledger-metrics-")
    # The workers are new processes: they read their settings (and prometheus-client its
    # multiprocess directory) from the environment they inherit.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ["LIFELEDGER_METRICS_DIR"] = metrics_dir
    os.environ["LIFELEDGER_DATABASE_URL"] = settings.database_url
    os.environ["LIFELEDGER_BENCH_ROUTES"] = "1" if settings.bench_routes else "0"
    uvicorn.run(
        "lifeledger.api.app:create_app_from_env",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        access_log=access_log,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
