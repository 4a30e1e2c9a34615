"""The database URL (`sqlite:///…` or `postgresql://…`) and what follows from it: the
eventsourcing library's persistence settings for that store, and creating and dropping
PostgreSQL databases (tests and benchmarks make their own)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed `sqlite:///…` or `postgresql://…` URL."""

    scheme: str
    path: str = ""
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = ""

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not path:
                raise ValueError(f"database URL {url!r}: expected sqlite:///path/to/file.db")
            return cls("sqlite", path=path)
        if parts.scheme in ("postgresql", "postgres"):
            return cls(
                "postgresql",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""),
                dbname=parts.path.lstrip("/") or "postgres",
            )
        raise ValueError(f"database URL {url!r}: the scheme must be sqlite or postgresql")

    @property
    def is_postgres(self) -> bool:
        return self.scheme == "postgresql"

    def eventsourcing_env(self, pool_size: int = 5) -> dict[str, str]:
        """The library's settings for this store (passed as `env=`, which wins over os.environ)."""
        if not self.is_postgres:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            # The library requires a password even under trust authentication.
            "POSTGRES_PASSWORD": self.password or "unused",
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            # Off on purpose: with it on, applications in one schema write into each other's tables.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "APPLICATION_RECORDER_TOPIC": "lifeledger.library_overrides:ColumnArrayRecorder",
        }

    def conninfo(self, dbname: str | None = None) -> str:
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=dbname or self.dbname,
            password=self.password or None,
            connect_timeout=10,
        )

    def with_dbname(self, dbname: str) -> str:
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"


def create_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` (connecting to `postgres`)."""
    parsed = DatabaseUrl.parse(url)
    with psycopg.connect(parsed.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.dbname)))


def drop_database(url: str) -> None:
    parsed = DatabaseUrl.parse(url)
    with psycopg.connect(parsed.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parsed.dbname))
        )
