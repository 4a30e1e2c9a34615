"""Registration aggregate: one registered act, its full content, later corrections and revocation.

Its id is derived from the registration reference (authority, book, number), so the event
store itself refuses a second act under the same reference. The created event is the act:
`BirthRegistered`, `MarriageRegistered`, … each carries the register's whole entry, the PINs
it concerns and the role each plays in it (`parties`), its source and who recorded it.
Downstream systems read these events; nothing overwrites them.
"""

from __future__ import annotations

import copy
from typing import Any

from eventsourcing.domain import Aggregate

from lifeledger.domain.act_layout import PERSON_NODES, ROLE_OF_EVERY_PIN
from lifeledger.domain.acts import Act, get_path
from lifeledger.domain.vocabulary import ActKind

Content = dict[str, Any]
Party = dict[str, str]
"""A person an act concerns: `{"pin": …, "role": …}` (a `PartyRole`'s text)."""


class Registration(Aggregate):
    """A registered act."""

    class Registered(Aggregate.Created):
        """The act as registered. Version 2 added `parties`; the subclasses below, the classes
        actually stored, inherit the version and the upcaster."""

        class_version = 2

        kind: str
        reference: dict[str, Any]
        occurred_on: str
        pins: list[str]
        parties: list[Party]
        content: Content
        source: dict[str, Any]
        recorded_by: dict[str, Any]
        content_hash: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Events stored without their parties: found as the act was recorded."""
            state["parties"] = parties_of(state["kind"], state["pins"], state["content"])

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
        parties: list[Party],
        content: Content,
        source: dict[str, Any],
        recorded_by: dict[str, Any],
        content_hash: str,
    ) -> None:
        self.kind = kind
        self.reference = reference
        self.occurred_on = occurred_on
        self.pins = pins
        self.parties = parties
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
            parties=parties_of(act.kind, pins, act.content),
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


def parties_of(kind: str, pins: list[str], content: Content) -> list[Party]:
    """The persons an act concerns and their roles: each person its content describes with a
    PIN (`PERSON_NODES`, in that order), or, for the kinds that describe nobody, every PIN it
    concerns (`pins`) in the role its kind gives them all."""
    every = ROLE_OF_EVERY_PIN.get(kind)
    if every is not None:
        return [{"pin": pin, "role": every.value} for pin in pins]
    return [{"pin": pin, "role": role} for pin, role, _ in persons_of(kind, content)]


Described = list[tuple[str, str, dict[str, Any]]]
"""(PIN, role, what the act says of them) for each person an act describes."""


def persons_of(kind: str, content: Content) -> Described:
    """The persons an act of this kind describes with a PIN (`PERSON_NODES`, in that order):
    a new act and one read again find each person's part alike."""
    found = []
    for path, role in PERSON_NODES.get(kind, ()):
        node = get_path(content, path)
        if isinstance(node, dict) and node.get("pin"):
            found.append((str(node["pin"]), role.value, node))
    return found


EVENT_OF_KIND: dict[str, type[Registration.Registered]] = {
    ActKind.BIRTH: Registration.BirthRegistered,
    ActKind.MARRIAGE: Registration.MarriageRegistered,
    ActKind.DIVORCE: Registration.DivorceRegistered,
    ActKind.DEATH: Registration.DeathRegistered,
    ActKind.PARENTAGE: Registration.ParentageRegistered,
    ActKind.ADOPTION: Registration.AdoptionRegistered,
    ActKind.GUARDIANSHIP_OPENED: Registration.GuardianshipOpened,
    ActKind.GUARDIANSHIP_ENDED: Registration.GuardianshipEnded,
    ActKind.CORRECTION: Registration.CorrectionRegistered,
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
