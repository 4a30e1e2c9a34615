"""The ledger service on the eventsourcing library: one method per command.

Every write checks the act's rules against everything the ledger knows, then saves
the act and the persons it touches in one transaction; the event store's unique
(aggregate id, version) makes concurrent writers to the same person or reference
collide, and the loser re-checks (and usually gets the rule's refusal). Each write
returns its position in the ledger's global order.

A command takes a unit of work (`commands.unit_of_work`), loads what its batch will read
(`batch_loader`), decides each act or entry (`commands.decisions`, which runs the handlers'
rules), then saves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Recording, Transcoder

from lifeledger.batch_loader import BatchLoader
from lifeledger.commands.decisions import (
    ACCEPTED,
    CONFLICT,
    DUPLICATE,
    REJECTED,
    STAGED,
    Outcome,
    decide_approval,
    decide_record,
    decide_stage,
    entry_label,
    entry_sort_key,
    pending_entry,
    staged_act,
)
from lifeledger.commands.unit_of_work import Recorder, Work
from lifeledger.database_url import DatabaseUrl
from lifeledger.domain.acts import Act, Reference
from lifeledger.domain.entry import StagedEntry, entry_id
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import (
    ActNotFound,
    ConcurrentWrite,
    LedgerError,
)
from lifeledger.domain.jurisdiction import Provinces, check_office
from lifeledger.domain.person import Person, person_id
from lifeledger.domain.registration import Registration
from lifeledger.event_codec import EventTranscoder
from lifeledger.library_overrides import save_aggregates
from lifeledger.settings import Settings

WRITE_ATTEMPTS = 5


class Ledger(Application[UUID]):
    """The civil status ledger."""

    name = "Ledger"

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None):
        self.settings = settings or Settings()
        url = DatabaseUrl.parse(self.settings.database_url)
        super().__init__(env={**url.eventsourcing_env(self.settings.pool_size), **(env or {})})
        self.batch_loader = BatchLoader(
            self.recorder, self.mapper, self.settings.import_kept_persons
        )

    def construct_transcoder(self) -> Transcoder:
        transcoder = EventTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save without its per-object checks (`save_aggregates`)."""
        return save_aggregates(self, objs, kwargs)

    # Commands

    def register(self, entry: dict[str, Any] | Act, recorder: Recorder) -> Outcome:
        """Register one act; raises the rule's error if refused. A duplicate is no error."""
        act = entry if isinstance(entry, Act) else parse_act(entry)
        outcome = self._with_retries(
            lambda work: decide_record(work, act, recorder), recorder.provinces
        )
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def importing(self) -> AbstractContextManager[None]:
        """An import under way: the persons its batches load are kept for its next batches
        (`BatchLoader.importing`)."""
        return self.batch_loader.importing()

    def record_many(self, acts: Sequence[Act], recorder: Recorder) -> list[Outcome]:
        """Record a batch of acts in the given order, saved in one transaction.

        Each act is checked against the ledger and the acts before it in the batch.
        If another writer got in first, the batch is redone act by act."""
        work = self._work(recorder.provinces)
        self.batch_loader.load_for(work, acts)
        outcomes = [decide_record(work, act, recorder) for act in acts]
        try:
            self._save(work, outcomes)
        except IntegrityError:
            return [
                self._with_retries(
                    lambda w, a=act: decide_record(w, a, recorder), recorder.provinces
                )
                for act in acts
            ]
        self.batch_loader.keep(work)
        return outcomes

    def stage_many(
        self,
        acts: Sequence[Act],
        stager: Recorder,
        batch: str | None = None,
    ) -> list[Outcome]:
        """Stage digitized entries for approval by a second user (four-eyes): `stager` is the
        user who enters them, in their provinces. Each is checked against the ledger as it
        stands (not against the others staged with it, which are not acts yet): an entry the
        rules refuse now is rejected at once."""
        work = self._work(stager.provinces)
        self.batch_loader.load_for(work, acts)
        self.batch_loader.load(work, [entry_id(a.reference) for a in acts])
        outcomes = [decide_stage(work, act, stager, batch) for act in acts]
        try:
            self._save(work, outcomes)
        except IntegrityError:
            return [
                self._with_retries(
                    lambda w, a=act: decide_stage(w, a, stager, batch), stager.provinces
                )
                for act in acts
            ]
        return outcomes

    def approve(
        self,
        entry: UUID,
        approver: str,
        role: str = "approver",
        provinces: Provinces = frozenset(),
    ) -> Outcome:
        """Approve a staged entry: it becomes an act, or goes to the conflict queue."""
        return self._with_retries(
            lambda work: decide_approval(work, entry, approver, role), provinces
        )

    def approve_many(
        self,
        entries: Sequence[UUID],
        approver: str,
        provinces: Provinces = frozenset(),
    ) -> list[Outcome]:
        """Approve staged entries together (an import's, say), in the order the rules are
        applied (fact date, registration date, reference), in batches each saved in one
        transaction: each becomes an act or goes to the conflict queue, and sees the acts
        approved before it. An entry this user may not approve (staged by them, another
        province's, no longer pending) is left as it is: its outcome is `rejected` with the
        reason. Outcomes come in the order of `entries`."""
        work = self._work(provinces)
        self.batch_loader.load(work, entries)
        order = sorted(entries, key=lambda entry: entry_sort_key(work.loaded.get(entry)))
        decided: dict[UUID, Outcome] = {}
        size = self.settings.import_batch_size
        for start in range(0, len(order), size):
            batch = order[start : start + size]
            decided.update(zip(batch, self._approve_batch(batch, approver, provinces), strict=True))
        return [decided[entry] for entry in entries]

    def _approve_batch(
        self, entries: list[UUID], approver: str, provinces: Provinces
    ) -> list[Outcome]:
        work = self._work(provinces)
        self.batch_loader.load(work, entries)
        staged = [work.loaded.get(entry) for entry in entries]
        acts = [staged_act(s) for s in staged if isinstance(s, StagedEntry)]
        self.batch_loader.load_for(work, [act for act in acts if act is not None])

        def decide(work: Work, entry: UUID) -> Outcome:
            try:
                return decide_approval(work, entry, approver, "approver")
            except LedgerError as error:
                staged = work.loaded.get(entry)
                label = entry_label(staged) if isinstance(staged, StagedEntry) else str(entry)
                return Outcome(REJECTED, label, error=error)

        outcomes = [decide(work, entry) for entry in entries]
        try:
            self._save(work, outcomes)
        except IntegrityError:  # another writer got in first: entry by entry
            return [
                self._with_retries(lambda w, e=entry: decide(w, e), provinces) for entry in entries
            ]
        return outcomes

    def reject(self, entry: UUID, approver: str, reason: str) -> Outcome:
        def decide(work: Work) -> Outcome:
            staged = pending_entry(work, entry)
            staged.reject(approver, reason)
            work.add(staged)
            return Outcome(REJECTED, entry_label(staged))

        return self._with_retries(decide)

    def revoke(
        self,
        reference: Reference,
        decision: str,
        decided_on: str,
        authority: str,
        reason: str,
        recorder: Recorder,
    ) -> Outcome:
        """Declare an act void: it stays in the ledger, flagged; rules stop counting it."""

        def decide(work: Work) -> Outcome:
            check_office(recorder.provinces, reference.authority, reference.label, "revocation")
            target = work.registration(reference)
            if target is None:
                raise ActNotFound(
                    f"revocation refused: no act registered as {reference.label}",
                    reference=reference.label,
                )
            if target.revoked:
                return Outcome(DUPLICATE, reference.label, target.id)
            target.revoke(decision, decided_on, authority, reason, recorder.recorded_by())
            work.add(target)
            for pin in target.pins:
                person = work.person(pin)
                if person is not None and str(target.id) in person.facts:
                    person.void(str(target.id))
                    work.add(person)
            return Outcome(ACCEPTED, reference.label, target.id)

        outcome = self._with_retries(decide)
        if outcome.error is not None:
            raise outcome.error
        return outcome

    # Queries

    def person(self, pin: str) -> Person | None:
        found: Person | None = self._work().get(person_id(pin))
        return found

    def registration(self, reference: Reference) -> Registration | None:
        return self._work().registration(reference)

    def staged_entry(self, entry: UUID) -> StagedEntry | None:
        found: StagedEntry | None = self._work().get(entry)
        return found

    def position(self) -> int:
        """The ledger's current position (the last notification id)."""
        return int(self.recorder.max_notification_id() or 0)

    # Internals

    def _work(self, provinces: Provinces = frozenset()) -> Work:
        return Work(load=self.repository.get, provinces=provinces)

    def _with_retries(self, decide: Any, provinces: Provinces = frozenset()) -> Outcome:
        """Run a decision in a fresh unit of work and save it; re-decide if another writer
        changed the same aggregates meanwhile."""
        for _ in range(WRITE_ATTEMPTS):
            work = self._work(provinces)
            outcome: Outcome = decide(work)
            try:
                self._save(work, [outcome])
            except IntegrityError:
                continue
            return outcome
        raise ConcurrentWrite(
            "the persons of this act are being changed by other writers; try again"
        )

    def _save(self, work: Work, outcomes: Iterable[Outcome]) -> None:
        if not work.changed:
            return
        recordings = self.save(*work.changed.values())
        position = max(r.notification.id for r in recordings)
        events = [
            (r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings
        ]
        for outcome in outcomes:
            if outcome.status in (ACCEPTED, STAGED, CONFLICT, REJECTED) and outcome.error is None:
                outcome.position = position
                outcome.events = events


__all__ = ["Ledger"]
