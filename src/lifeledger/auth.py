"""Credentials, roles and jurisdictions: who may do what, and in which provinces.

A user has one or more roles and a set of provinces (none = national). An API key is
shown once when the user is made; only its SHA-256 is stored (table `api_user`, in the
ledger's database; `api_` tables are never touched by projection rebuilds).

Jurisdiction is one province code: of a write, the registering office's province (the first
three characters of `register.authority`) and that of every act it changes (see
`domain.jurisdiction`); of a read about a person, the PIN's province (its first three
digits, where the birth was registered). `GRANTS` is the one table of what each role may do.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from lifeledger.api.migrations import migrate
from lifeledger.database import ViewDatabase
from lifeledger.domain.jurisdiction import covers
from lifeledger.domain.provinces import PROVINCES

ROLES = ("officer", "approver", "auditor", "subscriber", "admin")
PROFILES = ("full", "identity", "statistics")
"""What a user may see of the event feed's data (`feed.profiles`); `full` unless chosen."""
DEFAULT_PROFILE = "full"
KEY_PREFIX = "ll_"


class Permission(StrEnum):
    REGISTER = "acts:register"
    READ_PERSONS = "persons:read"
    READ_CORRECTIONS = "corrections:read"
    SEARCH = "persons:search"
    READ_REGISTRY = "registrations:read"
    STATS = "stats:read"
    IMPORT = "imports:stage"
    APPROVE = "entries:approve"
    READ_ENTRIES = "entries:read"
    AUDIT = "audit:read"
    USERS = "users:manage"
    METRICS = "metrics:read"
    EVENTS = "events:read"
    LEDGER = "ledger:read"
    """Merkle digests and proofs (hashes only: docs/audit.md)."""


P = Permission
GRANTS: dict[str, frozenset[Permission]] = {
    "officer": frozenset(
        {P.REGISTER, P.READ_PERSONS, P.SEARCH, P.READ_REGISTRY, P.STATS, P.IMPORT}
    ),
    "approver": frozenset({P.IMPORT, P.APPROVE, P.READ_ENTRIES, P.READ_REGISTRY, P.STATS}),
    "auditor": frozenset(
        {
            P.READ_PERSONS,
            P.READ_CORRECTIONS,
            P.SEARCH,
            P.READ_REGISTRY,
            P.STATS,
            P.READ_ENTRIES,
            P.AUDIT,
            P.LEDGER,
        }
    ),
    "subscriber": frozenset({P.EVENTS, P.LEDGER}),
    "admin": frozenset({P.USERS, P.METRICS}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated user: name, roles, and the provinces they act in (empty: all)."""

    name: str
    roles: tuple[str, ...]
    provinces: frozenset[str] = frozenset()
    profile: str = DEFAULT_PROFILE
    """What they see of the event feed's data (`PROFILES`)."""

    @property
    def national(self) -> bool:
        return not self.provinces

    def may(self, permission: Permission) -> bool:
        return any(permission in GRANTS.get(role, ()) for role in self.roles)

    def covers(self, province: str | None) -> bool:
        return covers(self.provinces, province)


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    provinces: tuple[str, ...]
    disabled: bool
    created_at: str
    profile: str = DEFAULT_PROFILE


class UserError(ValueError):
    """A user that cannot be made or changed (unknown role or province, name taken, …)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(r.strip() for r in roles if r.strip()))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown or not chosen:
        raise UserError(f"roles: {', '.join(unknown) or 'none'} (known: {', '.join(ROLES)})")
    return chosen


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise UserError(f"profile: {profile!r} is not one of {', '.join(PROFILES)}")
    return profile


def check_provinces(provinces: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sorted({p.strip() for p in provinces if p.strip()}))
    unknown = [p for p in chosen if p not in PROVINCES]
    if unknown:
        raise UserError(f"provinces: unknown province code {', '.join(unknown)}")
    return chosen


class UserStore:
    """Users and their hashed API keys; lookups by key are cached for a few seconds."""

    def __init__(self, db: ViewDatabase, cache_seconds: float = 5.0) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def setup(self) -> None:
        """Make or bring up to date the API's tables, users' among them (`api.migrations`)."""
        migrate(self.db)

    def add(
        self,
        name: str,
        roles: Iterable[str],
        provinces: Iterable[str] = (),
        profile: str = DEFAULT_PROFILE,
    ) -> str:
        """Make a user; returns their new API key (shown once, never stored)."""
        name = name.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise UserError("name: 1 to 64 printable characters")
        chosen, where = check_roles(roles), check_provinces(provinces)
        profile = check_profile(profile)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction(lock=True) as tx:
            if tx.row("SELECT name FROM api_user WHERE name = %s", (name,)):
                raise UserError(f"name: user {name} already exists")
            tx.execute(
                "INSERT INTO api_user (name, roles, provinces, profile, key_hash, disabled, "
                "created_at) VALUES (%s, %s, %s, %s, %s, 0, %s)",
                (name, ",".join(chosen), ",".join(where), profile, hash_key(key), _now()),
            )
        return key

    def users(self) -> list[User]:
        rows = self.db.rows(
            "SELECT name, roles, provinces, disabled, created_at, profile FROM api_user "
            "ORDER BY name"
        )
        return [
            User(
                r["name"],
                tuple(r["roles"].split(",")),
                tuple(p for p in r["provinces"].split(",") if p),
                bool(r["disabled"]),
                r["created_at"],
                r["profile"],
            )
            for r in rows
        ]

    def active(self, name: str) -> User | None:
        """The user of this name, if not disabled."""
        found = next((u for u in self.users() if u.name == name), None)
        return found if found is not None and not found.disabled else None

    def count(self) -> int:
        row = self.db.row("SELECT count(*) AS n FROM api_user")
        return int(row["n"]) if row else 0

    def disable(self, name: str) -> None:
        with self.db.transaction(lock=True) as tx:
            if not tx.row("SELECT name FROM api_user WHERE name = %s", (name,)):
                raise UserError(f"name: no user {name}")
            tx.execute("UPDATE api_user SET disabled = 1 WHERE name = %s", (name,))
        with self._lock:
            self._cache.clear()

    def remembered(self, key: str) -> tuple[Principal | None] | None:
        """What `authenticate` answered for this key in the last `cache_seconds`, without
        touching the database: `(user or None,)`, or None when it must ask the database."""
        with self._lock:
            cached = self._cache.get(hash_key(key))
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return (cached[1],)
        return None

    def authenticate(self, key: str) -> Principal | None:
        """The enabled user holding this key, or None."""
        remembered = self.remembered(key)
        if remembered is not None:
            return remembered[0]
        digest, now = hash_key(key), time.monotonic()
        row = self.db.row(
            "SELECT name, roles, provinces, profile FROM api_user "
            "WHERE key_hash = %s AND disabled = 0",
            (digest,),
        )
        found = None
        if row is not None:
            provinces = frozenset(p for p in row["provinces"].split(",") if p)
            roles = tuple(row["roles"].split(","))
            found = Principal(row["name"], roles, provinces, row["profile"])
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, found)
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
