"""The API's own tables, in the ledger's database next to the read models: claims and
remembered responses for `Idempotency-Key`, the access log of person reads, and import results.
They are prefixed `api_` so that rebuilding the projections never drops them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from lifeledger.database import Tx, ViewDatabase
from lifeledger.domain.acts import check_storable
from lifeledger.domain.errors import InvalidEntry
from lifeledger.importers.validation import Rejection
from lifeledger.jsoncodec import loads

log = logging.getLogger(__name__)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _serial(tx: Tx) -> str:
    return "BIGSERIAL PRIMARY KEY" if tx.postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"


def setup(db: ViewDatabase) -> None:
    """Create the API's tables (idempotent)."""
    with db.transaction(lock=True) as tx:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS api_idempotency (user_name TEXT NOT NULL, "
            "key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, "
            "body TEXT NOT NULL, created_at TEXT NOT NULL, claim TEXT, "
            "PRIMARY KEY (user_name, key))"
        )
        _add_column(tx, "api_idempotency", "claim", "TEXT")  # tables made before claims
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS api_access (id {_serial(tx)}, at TEXT NOT NULL, "
            "user_name TEXT NOT NULL, roles TEXT NOT NULL, pin TEXT NOT NULL, "
            "what TEXT NOT NULL, detail TEXT)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS api_access_pin ON api_access (pin, at)")
        tx.execute("CREATE INDEX IF NOT EXISTS api_access_user ON api_access (user_name, at)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS api_import (import_id TEXT PRIMARY KEY, "
            "user_name TEXT NOT NULL, filename TEXT, approve_as TEXT, entered_by TEXT, "
            "status TEXT NOT NULL, counts TEXT NOT NULL, report TEXT NOT NULL, "
            "started_at TEXT NOT NULL, finished_at TEXT, position BIGINT)"
        )
        _add_column(tx, "api_import", "position", "BIGINT")  # tables made before it was kept
        _add_column(tx, "api_import", "provinces", "TEXT")  # likewise (NULL: not known)


def _add_column(tx: Tx, table: str, column: str, sql_type: str) -> None:
    if tx.postgres:
        tx.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}")
    elif column not in {row["name"] for row in tx.rows(f"PRAGMA table_info({table})")}:
        tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")


PENDING = 0
"""The status of a claim: a request holds the key and has no answer yet."""


@dataclass(frozen=True)
class Remembered:
    """A response given to a request with an Idempotency-Key, or (status `PENDING`) the
    claim of a request still running."""

    fingerprint: str
    status: int
    body: dict[str, Any]

    @property
    def pending(self) -> bool:
        return self.status == PENDING


class IdempotencyStore:
    """Responses by (user, Idempotency-Key), with the fingerprint of the request body.

    A request claims its key first: a row with status `PENDING`, the request's fingerprint,
    its claim token and, in `created_at`, when the claim was last renewed. It then completes
    the row with its answer, or releases it (deletes the row) when the answer is not to be
    kept. While it runs, a thread renews this process's claims every third of
    `claim_seconds` (an import may run for minutes), so a claim not renewed for
    `claim_seconds` was left by a process that died: the next request with the key takes
    it over, one conditional write, so only one taker wins.
    """

    def __init__(self, db: ViewDatabase, claim_seconds: float = 60.0) -> None:
        self.db = db
        self.claim_seconds = claim_seconds
        self._held: set[tuple[str, str, str]] = set()  # (user, key, claim) of this process
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idempotency-claims", daemon=True)
        self._thread.start()

    def find(self, user: str, key: str) -> Remembered | None:
        """The stored answer or live claim for the key; None when the key is free (never
        used, released, or claimed by a process that died)."""
        row = self.db.row(
            "SELECT fingerprint, status, body, created_at FROM api_idempotency "
            "WHERE user_name = %s AND key = %s",
            (user, key),
        )
        if row is None or (row["status"] == PENDING and row["created_at"] < self._stale_before()):
            return None
        return _remembered(row)

    def claim(self, user: str, key: str, fingerprint: str, claim: str) -> Remembered | None:
        """Claim a free key for a request (token `claim`): None once it holds it, else what
        holds the key (another request's live claim, or a stored answer)."""
        while True:
            at = now()
            with self.db.transaction(lock=True) as tx:
                tx.execute(
                    "INSERT INTO api_idempotency (user_name, key, fingerprint, status, body, "
                    "created_at, claim) VALUES (%s, %s, %s, %s, '{}', %s, %s) "
                    "ON CONFLICT (user_name, key) DO UPDATE SET "
                    "fingerprint = excluded.fingerprint, created_at = excluded.created_at, "
                    "claim = excluded.claim "
                    "WHERE api_idempotency.status = %s AND api_idempotency.created_at < %s",
                    (user, key, fingerprint, PENDING, at, claim, PENDING, self._stale_before()),
                )
                row = tx.row(
                    "SELECT fingerprint, status, body, claim FROM api_idempotency "
                    "WHERE user_name = %s AND key = %s",
                    (user, key),
                )
            if row is None:  # released by its holder between the two statements: try again
                continue
            if row["status"] == PENDING and row["claim"] == claim:
                with self._lock:
                    self._held.add((user, key, claim))
                return None
            return _remembered(row)

    def complete(self, user: str, key: str, claim: str, answer: Remembered) -> None:
        """Keep the answer of the request holding the key (unless its claim was taken over)."""
        try:
            with self.db.transaction(lock=True) as tx:
                tx.execute(
                    "UPDATE api_idempotency SET fingerprint = %s, status = %s, body = %s, "
                    "created_at = %s, claim = NULL "
                    "WHERE user_name = %s AND key = %s AND claim = %s",
                    (
                        answer.fingerprint,
                        answer.status,
                        _dumps(answer.body),
                        now(),
                        user,
                        key,
                        claim,
                    ),
                )
        finally:
            self._let_go(user, key, claim)

    def release(self, user: str, key: str, claim: str) -> None:
        """Free the key without an answer: the next request with it runs."""
        try:
            with self.db.transaction(lock=True) as tx:
                tx.execute(
                    "DELETE FROM api_idempotency WHERE user_name = %s AND key = %s AND claim = %s",
                    (user, key, claim),
                )
        finally:
            self._let_go(user, key, claim)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _let_go(self, user: str, key: str, claim: str) -> None:
        with self._lock:
            self._held.discard((user, key, claim))

    def _stale_before(self) -> str:
        stale = datetime.now(UTC) - timedelta(seconds=self.claim_seconds)
        return stale.isoformat(timespec="milliseconds")

    def _renew(self) -> None:
        with self._lock:
            held = sorted(self._held)
        if held:
            at = now()
            with self.db.transaction(lock=True) as tx:
                tx.executemany(
                    "UPDATE api_idempotency SET created_at = %s "
                    "WHERE user_name = %s AND key = %s AND claim = %s",
                    [(at, *each) for each in held],
                )

    def _run(self) -> None:
        while not self._stopping.wait(self.claim_seconds / 3):
            try:
                self._renew()
            except Exception:
                log.exception("renewing Idempotency-Key claims failed; retrying")


def _remembered(row: dict[str, Any]) -> Remembered:
    return Remembered(row["fingerprint"], int(row["status"]), json.loads(row["body"]))


@dataclass(frozen=True)
class Access:
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
                    tx.executemany(
                        "INSERT INTO api_access (at, user_name, roles, pin, what, detail) "
                        "VALUES (%s, %s, %s, %s, %s, %s)",
                        rows,
                    )
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


class ImportLog:
    """What became of each `POST /v1/imports`: counts and the rejected lines' reasons (the
    first `REPORT_LIMIT` of them, each entry cut to `ENTRY_LIMIT` characters of its text)."""

    REPORT_LIMIT = 1000
    ENTRY_LIMIT = 4096

    @classmethod
    def record(cls, rejected: Rejection, filename: str | None) -> dict[str, Any]:
        """A rejected line as the import's result keeps it: its entry as a JSON value when
        its text is short, else the text's start with `entry_truncated`."""
        record: dict[str, Any] = {
            "status": rejected.status,
            "path": filename,
            "line": rejected.line,
            "code": rejected.code,
            "reason": rejected.reason,
            "field": rejected.field,
            "entry": rejected.entry,
        }
        if len(rejected.entry) > cls.ENTRY_LIMIT:
            record.update(entry=rejected.entry[: cls.ENTRY_LIMIT], entry_truncated=True)
            return record
        try:
            entry = loads(rejected.entry)
            check_storable(entry)
        except (ValueError, InvalidEntry):
            return record  # what a JSON answer cannot carry (NaN, a lone surrogate) stays text
        record["entry"] = entry
        return record

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def start(
        self,
        import_id: str,
        user: str,
        filename: str | None,
        approve_as: str | None,
        entered_by: str | None,
    ) -> None:
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "INSERT INTO api_import (import_id, user_name, filename, approve_as, entered_by, "
                "status, counts, report, started_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (import_id, user, filename, approve_as, entered_by, "running", "{}", "[]", now()),
            )

    def finish(
        self,
        import_id: str,
        status: str,
        counts: dict[str, int],
        report: list[dict[str, Any]],
        position: int | None = None,
        provinces: Iterable[str] = (),
    ) -> None:
        """Keep the import's result; `position` is the ledger's once it was written,
        `provinces` those of the offices its lines name (who else may read it)."""
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_import SET status = %s, counts = %s, report = %s, finished_at = %s, "
                "position = %s, provinces = %s WHERE import_id = %s",
                (
                    status,
                    _dumps(counts),
                    _dumps(report[: self.REPORT_LIMIT]),
                    now(),
                    position,
                    ",".join(sorted(provinces)),
                    import_id,
                ),
            )

    def get(self, import_id: str) -> dict[str, Any] | None:
        row = self.db.row("SELECT * FROM api_import WHERE import_id = %s", (import_id,))
        if row is None:
            return None
        return {
            "id": row["import_id"],
            "user": row["user_name"],
            "filename": row["filename"],
            "approve_as": row["approve_as"],
            "entered_by": row["entered_by"],
            "status": row["status"],
            "counts": json.loads(row["counts"]),
            "report": json.loads(row["report"]),
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "position": row["position"],
            "provinces": row["provinces"].split(",") if row["provinces"] else None,
        }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
