"""The unit of work of one write (`Work`: each aggregate loaded once, changed in memory, all
changes saved together by the ledger) and who records it (`Recorder`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from lifeledger.domain.acts import Act, Reference
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import FourEyes
from lifeledger.domain.jurisdiction import Provinces, check_office
from lifeledger.domain.person import (
    ADOPTIVE_ROLES,
    BLOOD_ROLES,
    Fact,
    MarriageSpan,
    Person,
    person_id,
)
from lifeledger.domain.registration import Registration


@dataclass
class Work:
    """Unit of work: aggregates loaded once, changed in memory, saved together, on behalf of a
    user acting in `provinces` (empty: national), who may change only their offices' acts."""

    load: Callable[[UUID], Aggregate]
    provinces: Provinces = frozenset()
    loaded: dict[UUID, Aggregate | None] = field(default_factory=dict)
    changed: dict[UUID, Aggregate] = field(default_factory=dict)
    parent_overlay: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self.loaded:
            try:
                self.loaded[aggregate_id] = self.load(aggregate_id)
            except AggregateNotFoundError:
                self.loaded[aggregate_id] = None
        return self.loaded[aggregate_id]

    def reload(self, aggregate_id: UUID) -> Any:
        """Read an aggregate again, for what another writer may have saved since."""
        if aggregate_id in self.changed:
            return self.changed[aggregate_id]
        self.loaded.pop(aggregate_id, None)
        return self.get(aggregate_id)

    def add(self, aggregate: Aggregate) -> None:
        self.loaded[aggregate.id] = aggregate
        self.changed[aggregate.id] = aggregate

    def person(self, pin: str) -> Person | None:
        person: Person | None = self.get(person_id(pin))
        return person

    def registration(self, reference: Reference) -> Registration | None:
        registration: Registration | None = self.get(reference.act_id)
        return registration

    def changing(self, act_id: str, what: str) -> None:
        """Refuse to change the act `act_id` (found by the rules, not named by the entry)
        unless its registering office is in the user's provinces."""
        target: Registration | None = self.get(UUID(act_id)) if self.provinces else None
        if target is not None:
            check_office(self.provinces, target.reference["authority"], target.label, what)

    def link(self, pin: str, fact: Fact) -> None:
        person = self.person(pin)
        if person is None:
            person = Person.open(pin, fact)
        else:
            person.link(fact)
        self.add(person)

    # The family as the rules see it, including parent links about to be added.

    def parents_of(self, pin: str) -> dict[str, str]:
        return self._parents(pin, BLOOD_ROLES)

    def adoptive_parents_of(self, pin: str) -> dict[str, str]:
        return self._parents(pin, ADOPTIVE_ROLES)

    def _parents(self, pin: str, roles: tuple[str, ...]) -> dict[str, str]:
        person = self.person(pin)
        found = person.parents(roles) if person else {}
        pending = self.parent_overlay.get(pin, {})
        return {**found, **{r: p for r, p in pending.items() if r in roles}}

    def marriages_of(self, pin: str) -> list[MarriageSpan]:
        person = self.person(pin)
        return person.marriages() if person else []

    def died_on(self, pin: str) -> PartialDate | None:
        person = self.person(pin)
        return person.died_on if person else None

    def with_descendants(self, pin: str) -> list[str]:
        found, frontier = [pin], [pin]
        while frontier:
            person = self.person(frontier.pop())
            for child in person.children(BLOOD_ROLES) if person else []:
                if child not in found:
                    found.append(child)
                    frontier.append(child)
        return found


@dataclass(frozen=True)
class Recorder:
    """Who records an act, in which provinces they act (empty: national), and where it comes
    from. An approver records what another user entered: `entered_by`, the user who staged
    the entry (or ran the import); the typist an entry names (its `entered_by` field) is kept
    beside it as `typed_by`. The approver must be neither."""

    user: str
    role: str = "officer"
    office: str | None = None
    source: str = "live"
    entered_by: str | None = None
    approves: bool = False
    provinces: Provinces = frozenset()

    def recorded_by(self, act: Act | None = None) -> dict[str, Any]:
        if not self.approves:
            return {"user": self.user, "role": self.role, "office": self.office}
        typed = act.content.get("entered_by") if act else None
        entered = str(self.entered_by or typed)
        if self.user in (entered, typed):
            raise FourEyes(
                f"{act.reference.label if act else 'entry'}: entered by {self.user}; "
                "a second user must approve it",
                user=self.user,
            )
        recorded = {
            "user": entered,
            "role": "operator",
            "office": self.office,
            "approved_by": self.user,
            "approver_role": self.role,
        }
        return {**recorded, "typed_by": str(typed)} if typed is not None else recorded

    def source_of(self, act: Act) -> dict[str, Any]:
        given = act.content.get("source") or {}
        return {**given, "kind": given.get("kind", self.source)}


Links = list[tuple[str, Fact]]
"""What recording an act links to its persons: (PIN, fact) pairs."""
