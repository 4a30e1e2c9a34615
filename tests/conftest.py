"""Fixtures: a ledger on each store. Every PostgreSQL test gets its own database, created
and dropped here, so runs never see each other's data. In CI (`CI` set) an unreachable
PostgreSQL fails the run instead of skipping it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.database_url import DatabaseUrl, create_database, drop_database
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings

POSTGRES_SERVER = os.environ.get(
    "LIFELEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(DatabaseUrl.parse(POSTGRES_SERVER).conninfo(), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _require_postgres() -> None:
    if not postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_SERVER} is not reachable, and CI must test it")
        pytest.skip("PostgreSQL is not reachable")


NewDatabase = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """Makes fresh, empty databases on one store (each test runs on both); drops them after."""
    created: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path}/ledger-{len(created)}.db"
        else:
            url = _new_postgres_url()
            create_database(url)
        created.append(url)
        return url

    if request.param == "postgres":
        _require_postgres()
    yield make
    for url in created:
        if url.startswith("postgresql"):
            drop_database(url)


@pytest.fixture
def database_url(new_database: NewDatabase) -> str:
    """A fresh, empty database URL on each store."""
    return new_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (for tests about PostgreSQL itself)."""
    _require_postgres()
    url = _new_postgres_url()
    create_database(url)
    try:
        yield url
    finally:
        drop_database(url)


def _new_postgres_url() -> str:
    name = f"lifeledger_test_{uuid.uuid4().hex[:12]}"
    return DatabaseUrl.parse(POSTGRES_SERVER).with_dbname(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, import_batch_size=50)


@pytest.fixture
def ledger(settings: Settings) -> Iterator[Ledger]:
    app = Ledger(settings)
    yield app
    app.close()


@pytest.fixture
def officer() -> Recorder:
    return Recorder("officer-1", office="034-XA-DONGHOA")
