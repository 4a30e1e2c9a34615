"""Registration aggregate: one registered act, its full content, later corrections and revocation.

Its id is derived from the registration reference (authority, book, number), so
the event store itself refuses a second act under the same reference. The
created event is the act: `BirthRegistered`, `MarriageRegistered`, … each
carries the register's whole entry, the PINs it concerns, its source and who
recorded it. Downstream systems read these events; nothing overwrites them.
"""

from __future__ import annotations

import copy
from typing import Any

from eventsourcing.domain import Aggregate

from lifeledger.domain.acts import Act, get_path

Content = dict[str, Any]


class Registration(Aggregate):
    """A registered act."""

    class Registered(Aggregate.Created):
        kind: str
        reference: dict[str, Any]
        occurred_on: str
        pins: list[str]
        content: Content
        source: dict[str, Any]
        recorded_by: dict[str, Any]
        content_hash: str

    class BirthRegistered(Registered):
        pass

    class MarriageRegistered(Registered):
        pass

    class DivorceRegistered(Registered):
        pass

    class DeathRegistered(Registered):
        pass

    class ParentageRegistered(Registered):
        pass

    class AdoptionRegistered(Registered):
        pass

    class GuardianshipOpened(Registered):
        pass

    class GuardianshipEnded(Registered):
        pass

    class CorrectionRegistered(Registered):
        pass

    class Corrected(Aggregate.Event):
        """A later correction act changed fields of this act; the original stays in its event."""

        correction: str
        changes: list[dict[str, Any]]

        def apply(self, aggregate: Any) -> None:
            # A copy: the created event's content must stay as it was registered.
            aggregate.content = copy.deepcopy(aggregate.content)
            for change in self.changes:
                set_path(aggregate.content, change["field"], change["after"])
            aggregate.corrections.append(self.correction)

    class Revoked(Aggregate.Event):
        """A competent decision declared the act void; it stays, flagged."""

        decision: str
        decided_on: str
        authority: str
        reason: str
        recorded_by: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked = True

    def __init__(
        self,
        kind: str,
        reference: dict[str, Any],
        occurred_on: str,
        pins: list[str],
        content: Content,
        source: dict[str, Any],
        recorded_by: dict[str, Any],
        content_hash: str,
    ) -> None:
        self.kind = kind
        self.reference = reference
        self.occurred_on = occurred_on
        self.pins = pins
        self.content = content
        self.source = source
        self.recorded_by = recorded_by
        self.content_hash = content_hash
        self.corrections: list[str] = []
        self.revoked = False

    @classmethod
    def record(
        cls, act: Act, pins: list[str], source: dict[str, Any], recorded_by: dict[str, Any]
    ) -> Registration:
        return cls._create(
            EVENT_OF_KIND[act.kind],
            id=act.reference.act_id,
            kind=act.kind,
            reference={**act.content["register"], **act.reference.as_dict()},
            occurred_on=str(act.fact_date),
            pins=pins,
            content=act.content,
            source=source,
            recorded_by=recorded_by,
            content_hash=act.content_hash,
        )

    @property
    def label(self) -> str:
        ref = self.reference
        return f"{ref['authority']}/{ref['book']}/{ref['number']}"

    def current(self, path: str) -> Any:
        return get_path(self.content, path)

    def correct(self, correction: str, changes: list[dict[str, Any]]) -> None:
        self.trigger_event(self.Corrected, correction=correction, changes=changes)

    def revoke(
        self,
        decision: str,
        decided_on: str,
        authority: str,
        reason: str,
        recorded_by: dict[str, Any],
    ) -> None:
        self.trigger_event(
            self.Revoked,
            decision=decision,
            decided_on=decided_on,
            authority=authority,
            reason=reason,
            recorded_by=recorded_by,
        )


EVENT_OF_KIND: dict[str, type[Registration.Registered]] = {
    "birth": Registration.BirthRegistered,
    "marriage": Registration.MarriageRegistered,
    "divorce": Registration.DivorceRegistered,
    "death": Registration.DeathRegistered,
    "parentage": Registration.ParentageRegistered,
    "adoption": Registration.AdoptionRegistered,
    "guardianship_opened": Registration.GuardianshipOpened,
    "guardianship_ended": Registration.GuardianshipEnded,
    "correction": Registration.CorrectionRegistered,
}


def set_path(content: Content, path: str, value: Any) -> None:
    """Set a dotted path, creating objects on the way (a supplement adds missing data)."""
    parts = path.split(".")
    node: Any = content
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
