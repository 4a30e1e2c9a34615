"""`Idempotency-Key`: the claims of requests under way and the answers kept for replay, by
user and key (table `api_idempotency`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lifeledger.api.timestamps import now
from lifeledger.database import ViewDatabase
from lifeledger.jsoncodec import dumps_unsorted, loads

log = logging.getLogger(__name__)


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
                        dumps_unsorted(answer.body),
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
    return Remembered(row["fingerprint"], int(row["status"]), loads(row["body"]))
