"""The access log: who read whose record, and when (table `api_access`), written in small
batches in the background and read by auditors."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Any

from lifeledger.api.timestamps import now
from lifeledger.database import Tx, ViewDatabase

log = logging.getLogger(__name__)


ACCESS_COLUMNS = ("at", "user_name", "roles", "pin", "what", "detail")


@dataclass(frozen=True)
class ReadScope:
    """Which reads an auditor's query of the log covers: of one person (`pin`), by one
    `user`, of persons of `provinces` (none: all), logged from the day `since` to the day
    `until` (ISO days, inclusive; None: unbounded)."""

    pin: str | None = None
    user: str | None = None
    provinces: frozenset[str] = frozenset()
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class Access:
    """One read of a person's record: by whom (`user`, with their `roles`), whose (`pin`),
    and what was read."""

    user: str
    roles: str
    pin: str
    what: str
    detail: str | None = None


class AccessLog:
    """Who read whom, and when. Rows are written in small batches by a background thread
    (every `flush_seconds`; 0 writes each one at once) and on shutdown; reads of the log
    flush first, so an auditor in the same process always sees every earlier read."""

    def __init__(self, db: ViewDatabase, flush_seconds: float = 0.2) -> None:
        self.db = db
        self.flush_seconds = flush_seconds
        self._pending: list[tuple[str, str, str, str, str, str | None]] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        if flush_seconds > 0:
            self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
            self._thread.start()

    def record(self, *accesses: Access) -> None:
        at = now()
        rows = [(at, a.user, a.roles, a.pin, a.what, a.detail) for a in accesses]
        with self._lock:
            self._pending.extend(rows)
        if self._thread is None:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows. One flush at a time: a reader that flushes while the
        background thread is writing waits for it, then sees its rows."""
        with self._flushing:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return
            try:
                with self.db.transaction(lock=True) as tx:
                    tx.insert_many("api_access", ACCESS_COLUMNS, rows)
            except Exception:
                with self._lock:  # keep them for the next attempt, in order
                    self._pending[:0] = rows
                raise

    def query(self, scope: ReadScope, limit: int, after: int) -> list[dict[str, Any]]:
        """The log's rows in `scope`, oldest first, after the row `after`, up to `limit`."""
        self.flush()
        with self.db.transaction() as tx:
            where, params = _conditions(tx, scope)
            rows = tx.rows(
                "SELECT id, at, user_name, roles, pin, what, detail FROM api_access "
                f"WHERE id > %s AND {where} ORDER BY id LIMIT %s",
                [after, *params, limit],
            )
        return [
            {
                "id": int(r["id"]),
                "at": r["at"],
                "user": r["user_name"],
                "roles": r["roles"].split(","),
                "pin": r["pin"],
                "what": r["what"],
                "detail": r["detail"],
            }
            for r in rows
        ]

    def flags(self, threshold: int, scope: ReadScope, limit: int) -> list[dict[str, Any]]:
        """The users who read more than `threshold` distinct persons in one clock hour (UTC),
        oldest hour first, up to `limit`. Counted on read, by SQL over the log (flushing stays
        a plain batch insert): a person counts once per hour whatever was read of them; a
        write and a search that found no one (no PIN) do not count. With `scope.pin`, only
        the hours in which that person was one of those read; a provincial auditor's counts
        take only the reads of their provinces' persons."""
        self.flush()
        hour = "substr(at, 1, 13)"
        with self.db.transaction() as tx:
            where, params = _conditions(tx, replace(scope, pin=None))
            having = "COUNT(DISTINCT pin) > %s"
            params += ["write:", threshold]
            if scope.pin is not None:
                having += " AND SUM(CASE WHEN pin = %s THEN 1 ELSE 0 END) > 0"
                params.append(scope.pin)
            rows = tx.rows(
                f"SELECT user_name, {hour} AS hour, COUNT(DISTINCT pin) AS persons "
                f"FROM api_access WHERE {where} AND pin <> '' AND substr(what, 1, 6) <> %s "
                f"GROUP BY user_name, {hour} HAVING {having} ORDER BY hour, user_name LIMIT %s",
                [*params, limit],
            )
        return [
            {"user": r["user_name"], "hour": f"{r['hour']}:00:00Z", "persons": int(r["persons"])}
            for r in rows
        ]

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stopping.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception:
                log.exception("access log flush failed; retrying")


def _conditions(tx: Tx, scope: ReadScope) -> tuple[str, list[Any]]:
    """The SQL conditions selecting the log's rows in `scope`, and their parameters."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    for condition, value in (
        ("pin = %s", scope.pin),
        ("user_name = %s", scope.user),
        ("at >= %s", scope.since),
        ("substr(at, 1, 10) <= %s", scope.until),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)
    if scope.provinces:
        condition, values = tx.any_of("substr(pin, 1, 3)", sorted(scope.provinces))
        where.append(condition)
        params += values
    return " AND ".join(where), params
