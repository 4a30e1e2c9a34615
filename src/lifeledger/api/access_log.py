"""The access log: who read whose record, and when (table `api_access`), written in small
batches in the background and read by auditors."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, cast

from lifeledger.api.timestamps import now
from lifeledger.database import ViewDatabase

log = logging.getLogger(__name__)


ACCESS_COLUMNS = ("at", "user_name", "roles", "pin", "what", "detail")


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

    def query(
        self,
        pin: str | None,
        user: str | None,
        provinces: frozenset[str],
        limit: int,
        after: int,
    ) -> list[dict[str, Any]]:
        self.flush()
        where, params = ["id > %s"], [cast(Any, after)]
        if pin is not None:
            where.append("pin = %s")
            params.append(pin)
        if user is not None:
            where.append("user_name = %s")
            params.append(user)
        with self.db.transaction() as tx:
            if provinces:
                condition, values = tx.any_of("substr(pin, 1, 3)", sorted(provinces))
                where.append(condition)
                params += values
            rows = tx.rows(
                "SELECT id, at, user_name, roles, pin, what, detail FROM api_access "
                f"WHERE {' AND '.join(where)} ORDER BY id LIMIT %s",
                [*params, limit],
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
