"""What the ledger decides about one act or entry within a unit of work, and how it ends
(`Outcome`): record it, stage it for a second user's approval, or approve a staged entry (it
becomes an act, or goes to the conflict queue). The ledger runs these, then saves the work."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from lifeledger.commands.handlers import check_rules, record
from lifeledger.commands.unit_of_work import Recorder, Work
from lifeledger.domain.acts import Act, Reference
from lifeledger.domain.entry import StagedEntry, entry_id
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import (
    ActNotFound,
    EntryNotFound,
    EntryNotPending,
    Forbidden,
    FourEyes,
    GuardianshipNotOpen,
    LedgerError,
    MarriageNotOpen,
    ReferenceConflict,
)
from lifeledger.domain.jurisdiction import check_write
from lifeledger.domain.vocabulary import EntryStatus


class OutcomeStatus(StrEnum):
    """What became of one act or entry handed to the ledger."""

    ACCEPTED = "accepted"  # recorded: an act of the ledger
    STAGED = "staged"  # waiting for a second user's approval (its rules held when staged)
    DUPLICATE = "duplicate"  # the very act (same content) is recorded already
    REJECTED = "rejected"  # refused: a rule, the user's jurisdiction, a malformed entry
    CONFLICT = "conflict"  # another act holds its reference, or the rules refused it at approval


ACCEPTED, STAGED, DUPLICATE, REJECTED, CONFLICT = tuple(OutcomeStatus)
NOT_YET_RECORDED = (ActNotFound, MarriageNotOpen, GuardianshipNotOpen)
"""Refusals for want of an act (the marriage a divorce ends, a corrected act, an open
guardianship): at staging, that act may be among the entries waiting for approval, so they
do not reject an entry until it is approved."""


@dataclass
class Outcome:
    """What became of one act or entry, with the error that refused it and, once saved, its
    position in the ledger and the events it stored."""

    status: OutcomeStatus
    reference: str
    act_id: UUID | None = None
    position: int | None = None
    error: LedgerError | None = None
    events: list[tuple[UUID, int]] = field(default_factory=list)


def decide_record(work: Work, act: Act, recorder: Recorder) -> Outcome:
    """Record the act in `work` if the rules allow; the same act recorded already is a
    duplicate, another act under its reference a conflict."""
    label = act.reference.label
    try:  # before anything is looked up: another province's register is not probed
        check_write(act, recorder.provinces)
    except LedgerError as error:
        return Outcome(REJECTED, label, error=error)
    existing = work.registration(act.reference)
    if existing is not None:
        return duplicate_or_conflict(existing.content_hash, act, existing.id, "act")
    try:
        registration = record(work, act, recorder)
    except LedgerError as error:
        concurrent = work.reload(act.reference.act_id)
        if concurrent is not None:  # another writer recorded this very act meanwhile
            return duplicate_or_conflict(concurrent.content_hash, act, concurrent.id, "act")
        return Outcome(REJECTED, label, error=error)
    return Outcome(ACCEPTED, label, registration.id)


def decide_stage(work: Work, act: Act, stager: Recorder, batch: str | None) -> Outcome:
    """Stage the act for a second user's approval, unless the rules refuse it already (not
    for want of an act, which may be waiting for approval too)."""
    try:
        check_write(act, stager.provinces)
    except LedgerError as error:
        return Outcome(REJECTED, act.reference.label, error=error)
    existing = work.registration(act.reference)
    if existing is not None:
        return duplicate_or_conflict(existing.content_hash, act, existing.id, "act")
    staged: StagedEntry | None = work.get(entry_id(act.reference))
    if staged is not None:
        return duplicate_or_conflict(staged.content_hash, act, staged.id, "staged entry")
    try:
        check_rules(work, act)
    except NOT_YET_RECORDED:
        pass  # what it needs may be waiting for approval too: checked again then
    except LedgerError as error:
        return Outcome(REJECTED, act.reference.label, error=error)
    staged = StagedEntry.stage(act.reference, act.content, act.content_hash, stager.user, batch)
    work.add(staged)
    return Outcome(STAGED, act.reference.label, staged.id)


def decide_approval(work: Work, entry: UUID, approver: str, role: str) -> Outcome:
    """Approve a pending entry: it becomes an act, or goes to the conflict queue if the
    rules refuse it now; raises if it is not this approver's to approve."""
    staged = pending_entry(work, entry)
    if staged.entered_by == approver:
        raise FourEyes(
            f"approval refused: {approver} entered this line; a second user must approve it",
            entry=str(entry),
            user=approver,
        )
    act = parse_act(staged.content)
    check_write(act, work.provinces)  # another province's entry stays as it is
    recorder = Recorder(
        approver,
        role,
        source="digitized",
        entered_by=staged.entered_by,
        approves=True,
        provinces=work.provinces,
    )
    outcome = decide_record(work, act, recorder)
    if isinstance(outcome.error, Forbidden | FourEyes):  # not this user's to approve
        raise outcome.error
    if outcome.status in (ACCEPTED, DUPLICATE) and outcome.act_id is not None:
        # A duplicate is this very act, recorded meanwhile (by an import of the same
        # line, typed by whoever): the entry is approved as that act.
        staged.approve(approver, str(outcome.act_id))
        outcome = Outcome(ACCEPTED, outcome.reference, outcome.act_id)
    else:
        error = outcome.error or ReferenceConflict(f"{act.reference.label} is taken")
        staged.conflict(approver, error.code, error.message)
        outcome = Outcome(CONFLICT, act.reference.label, error=error)
    work.add(staged)
    return outcome


STILL_TO_DECIDE = (EntryStatus.PENDING, EntryStatus.CONFLICT)


def pending_entry(work: Work, entry: UUID) -> StagedEntry:
    """The staged entry, if it is still to be decided."""
    staged: StagedEntry | None = work.get(entry)
    if staged is None:
        raise EntryNotFound(f"no staged entry {entry}", entry=str(entry))
    if staged.status not in STILL_TO_DECIDE:
        raise EntryNotPending(
            f"entry {entry} is {staged.status}"
            + (f" (act {staged.act})" if staged.status == EntryStatus.APPROVED else ""),
            entry=str(entry),
            status=staged.status,
        )
    return staged


def duplicate_or_conflict(existing_hash: str, act: Act, existing_id: UUID, what: str) -> Outcome:
    label = act.reference.label
    if existing_hash == act.content_hash:
        return Outcome(DUPLICATE, label, existing_id)
    error = ReferenceConflict(
        f"{label}: another {what} with different content already holds this registration reference",
        reference=label,
    )
    return Outcome(CONFLICT, label, existing_id, error=error)


def staged_act(staged: StagedEntry) -> Act | None:
    try:
        return parse_act(staged.content)
    except LedgerError:  # staged before a check that now refuses it: approval says so
        return None


def entry_sort_key(staged: Any) -> tuple[Any, ...]:
    """Where an entry's act falls in the order the rules are applied (unreadable ones last)."""
    act = staged_act(staged) if isinstance(staged, StagedEntry) else None
    return (0, *act.sort_key()) if act is not None else (1,)


def entry_label(staged: StagedEntry) -> str:
    return Reference.at(staged.content, "register").label
