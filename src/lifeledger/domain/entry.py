"""Staged entry: a digitized register line waiting for a second user's approval (four-eyes).

Its id is derived from the registration reference, so the same line staged twice is
one entry. It ends approved (an act of the ledger), rejected by the approver, or in
the conflict queue when the act's rules refuse it at approval; never silently dropped.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from lifeledger.domain.acts import Reference, ledger_id
from lifeledger.domain.vocabulary import EntryStatus

PENDING, APPROVED, REJECTED, CONFLICT = tuple(EntryStatus)


def entry_id(reference: Reference) -> Any:
    return ledger_id("entry", reference.authority, reference.book, reference.number)


class StagedEntry(Aggregate):
    """One transcribed register line and what became of it."""

    class Staged(Aggregate.Created):
        content: dict[str, Any]
        content_hash: str
        entered_by: str
        batch: str | None

    class Approved(Aggregate.Event):
        by: str
        act: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status, aggregate.decided_by, aggregate.act = APPROVED, self.by, self.act

    class Conflicted(Aggregate.Event):
        by: str
        code: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status, aggregate.decided_by = CONFLICT, self.by
            aggregate.reason = {"code": self.code, "detail": self.reason}

    class Rejected(Aggregate.Event):
        by: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status, aggregate.decided_by = REJECTED, self.by
            aggregate.reason = {"code": "rejected-by-approver", "detail": self.reason}

    def __init__(
        self, content: dict[str, Any], content_hash: str, entered_by: str, batch: str | None
    ) -> None:
        self.content = content
        self.content_hash = content_hash
        self.entered_by = entered_by
        self.batch = batch
        self.status = PENDING
        self.decided_by: str | None = None
        self.act: str | None = None
        self.reason: dict[str, str] | None = None

    @classmethod
    def stage(
        cls,
        reference: Reference,
        content: dict[str, Any],
        content_hash: str,
        entered_by: str,
        batch: str | None = None,
    ) -> StagedEntry:
        return cls._create(
            cls.Staged,
            id=entry_id(reference),
            content=content,
            content_hash=content_hash,
            entered_by=entered_by,
            batch=batch,
        )

    def approve(self, by: str, act: str) -> None:
        self.trigger_event(self.Approved, by=by, act=act)

    def conflict(self, by: str, code: str, reason: str) -> None:
        self.trigger_event(self.Conflicted, by=by, code=code, reason=reason)

    def reject(self, by: str, reason: str) -> None:
        self.trigger_event(self.Rejected, by=by, reason=reason)
