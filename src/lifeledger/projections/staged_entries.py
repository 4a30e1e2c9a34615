"""Staged entries as the registry projection writes them (`ll_entry`): the approval queue
(pending entries) and the conflict queue, each entry with what became of it."""

from __future__ import annotations

from lifeledger.database import DO_NOTHING, Queue
from lifeledger.domain.acts import Reference, get_path
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.vocabulary import EntryStatus
from lifeledger.jsoncodec import dumps
from lifeledger.projections.runner import Envelope

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_entry (
        entry_id TEXT PRIMARY KEY, status TEXT NOT NULL, authority TEXT NOT NULL,
        book TEXT NOT NULL, number TEXT NOT NULL, kind TEXT, province TEXT,
        content TEXT NOT NULL, entered_by TEXT NOT NULL, batch TEXT, decided_by TEXT,
        act_id TEXT, reason TEXT, staged_at TEXT NOT NULL, position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ll_entry_status ON ll_entry (status, position)",
    "CREATE INDEX IF NOT EXISTS ll_entry_book ON ll_entry (authority, book)",
    "CREATE INDEX IF NOT EXISTS ll_entry_batch ON ll_entry (batch, status)",
)
TABLES = ("ll_entry",)
ENTRY_EVENTS = (
    StagedEntry.Staged,
    StagedEntry.Approved,
    StagedEntry.Conflicted,
    StagedEntry.Rejected,
)
ENTRY_STATUS = {
    StagedEntry.Approved: EntryStatus.APPROVED,
    StagedEntry.Conflicted: EntryStatus.CONFLICT,
    StagedEntry.Rejected: EntryStatus.REJECTED,
}
COLUMNS = (
    "entry_id",
    "status",
    "authority",
    "book",
    "number",
    "kind",
    "province",
    "content",
    "entered_by",
    "batch",
    "staged_at",
    "position",
)


def write_entry(tx: Queue, envelope: Envelope) -> None:
    """A staged entry (pending), or what its approver or the rules decided of it."""
    event, entry_id, position = envelope.event, envelope.originator, envelope.position
    if isinstance(event, StagedEntry.Staged):
        ref = Reference.at(event.content, "register")
        row = (
            entry_id,
            EntryStatus.PENDING,
            ref.authority,
            ref.book,
            ref.number,
            event.content.get("kind"),
            get_path(event.content, "register.province"),
            dumps(event.content),
            event.entered_by,
            event.batch,
            event.timestamp.isoformat(),
            position,
        )
        tx.defer_insert("ll_entry", COLUMNS, row, DO_NOTHING)
        return
    status = ENTRY_STATUS.get(type(event))
    if status is None:
        return
    reason = getattr(event, "reason", None)
    code = getattr(event, "code", "rejected-by-approver")
    tx.defer(
        "ll_entry",
        "UPDATE ll_entry SET status = %s, decided_by = %s, act_id = %s, reason = %s, "
        "position = %s WHERE entry_id = %s",
        (
            status,
            event.by,
            getattr(event, "act", None),
            dumps({"code": code, "detail": reason}) if reason else None,
            position,
            entry_id,
        ),
    )
