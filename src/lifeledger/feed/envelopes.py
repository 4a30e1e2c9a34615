"""A stored ledger event as the feed hands it out: a CloudEvents 1.0 envelope.

Only act- and entry-level events leave (an act registered, corrected or revoked; an entry
staged or decided), never the Person aggregates' bookkeeping. Each becomes a `FeedEvent`
(what the read model stores: type, subject, provinces and `data`), and a `FeedEvent` becomes
an envelope when served, with the ledger's configured `source`. The types and the shape of
each `data` are listed in docs/events.md; a type's `.vN` suffix changes when its `data`
changes shape incompatibly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudevents.core.v1.event import CloudEvent

from lifeledger.domain.digest import LedgerDigest
from lifeledger.domain.entry import StagedEntry
from lifeledger.domain.jurisdiction import office_province, pin_provinces_in
from lifeledger.domain.provinces import PROVINCES
from lifeledger.domain.registration import Described, Registration, parties_of, persons_of
from lifeledger.domain.vocabulary import ActKind, EntryStatus
from lifeledger.jsoncodec import Verbatim, dumps, dumps_envelope, loads

if TYPE_CHECKING:  # the runner's package imports this module (the registry writes the feed)
    from lifeledger.projections.runner import Envelope

PREFIX = "vn.lifeledger."
ACT_TYPES: dict[str, str] = {
    ActKind.BIRTH: "birth.registered.v1",
    ActKind.MARRIAGE: "marriage.registered.v1",
    ActKind.DIVORCE: "marriage.dissolved.v1",
    ActKind.DEATH: "death.registered.v1",
    ActKind.PARENTAGE: "parentage.registered.v1",
    ActKind.ADOPTION: "adoption.registered.v1",
    ActKind.GUARDIANSHIP_OPENED: "guardianship.opened.v1",
    ActKind.GUARDIANSHIP_ENDED: "guardianship.ended.v1",
    ActKind.CORRECTION: "correction.registered.v1",
}
"""Act kind -> the type of the event registering such an act (without `PREFIX`)."""
CORRECTED = "act.corrected.v1"
REVOKED = "act.revoked.v1"
DIGEST = "ledger.digest.v1"
"""A signed digest of the Merkle log (docs/audit.md): no person in it, every subscriber's."""
ENTRY_TYPES: dict[type[Any], str] = {
    StagedEntry.Staged: "entry.staged.v1",
    StagedEntry.Approved: "entry.approved.v1",
    StagedEntry.Rejected: "entry.rejected.v1",
    StagedEntry.Conflicted: "entry.conflicted.v1",
}
EVENT_TYPES: tuple[str, ...] = tuple(
    PREFIX + t for t in (*ACT_TYPES.values(), CORRECTED, REVOKED, *ENTRY_TYPES.values(), DIGEST)
)
"""Every type the feed hands out: the values of its `type` filter."""

Data = dict[str, Any]
Amended = dict[str, Any]
"""An act as it stood before an event changed it: `kind`, `content`, `pins` (as
`projections.act_rows.amended_acts` finds them)."""


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed, before a subscriber's profile and provinces reduce it."""

    position: int
    event_id: str
    type: str
    time: str
    subject: tuple[str, ...]
    """The PINs of the persons it concerns."""
    provinces: tuple[str, ...]
    """The registering office's province and those of the persons it concerns: the event goes
    to the subscribers of any of them."""
    data: Data
    """What it says; for a registered act read back from the feed, all but the act's
    `content`, which is in `content` (`whole` has both)."""
    content: str | None = None
    """A registered act's content as the read model keeps it (JSON text), read from the feed:
    an envelope showing it whole writes it as it is, never read (it is most of a page)."""

    @functools.cached_property
    def whole(self) -> Data:
        """`data` with the act's `content`, if kept apart, in its place after `act`."""
        return self.data if self.content is None else self._with_content(loads(self.content))

    def written(self) -> Data:
        """`whole` as an envelope writes it: a content kept apart goes out as it is kept."""
        return self.data if self.content is None else self._with_content(Verbatim(self.content))

    def _with_content(self, content: Any) -> Data:
        return {"act": self.data["act"], "content": content, **self.data}

    @functools.cached_property
    def pin_provinces(self) -> frozenset[str]:
        """The provinces of every PIN written in the event (or more, never fewer): a reader
        whose provinces hold all of them sees it whole (`profiles.sees_whole`). Found once
        per event, whoever reads it, in its JSON text: its content is not read for it."""
        found = pin_provinces_in(dumps(self.data) + (self.content or ""))
        return frozenset(found.union(pin[:3] for pin in self.subject))


def event_id(envelope: Envelope) -> str:
    """`{aggregate id}:{version}`: stable, unique within the ledger."""
    return f"{envelope.originator}:{envelope.event.originator_version}"


def parties(kind: str, listed: list[dict[str, str]], content: Data) -> list[dict[str, str]]:
    """The act's parties (pin, role), each with the sex its content gives, if any."""
    return with_sexes(listed, persons_of(kind, content))


def with_sexes(listed: list[dict[str, str]], described: Described) -> list[dict[str, str]]:
    """`parties`, from the persons the content describes (`registration.persons_of`, which
    the registry projection has found already for a new act)."""
    sexes = {pin: str(node["sex"]) for pin, _, node in described if node.get("sex")}
    return [{**p, "sex": sexes[p["pin"]]} if p["pin"] in sexes else dict(p) for p in listed]


def subject_of(people: list[dict[str, str]]) -> tuple[str, ...]:
    """The PINs of an event's parties, each once, in their order: its `subject`."""
    return tuple(dict.fromkeys(p["pin"] for p in people))


def provinces_of(reference: Data, pins: tuple[str, ...]) -> tuple[str, ...]:
    """The registering office's province and the persons': who may receive the event."""
    found = {pin[:3] for pin in pins}
    found.add(office_province(str(reference.get("authority", ""))))
    found.discard("")
    return tuple(sorted(found))


def _feed_event(
    envelope: Envelope, type_: str, reference: Data, people: list[dict[str, str]], data: Data
) -> FeedEvent:
    pins = subject_of(people)
    return FeedEvent(
        position=envelope.position,
        event_id=event_id(envelope),
        type=PREFIX + type_,
        time=envelope.event.timestamp.isoformat(),
        subject=pins,
        provinces=provinces_of(reference, pins),
        data={**data, "parties": people},
    )


def digest(envelope: Envelope) -> FeedEvent:
    """A signed digest of the Merkle log: for the subscribers of every province."""
    event: LedgerDigest.Published = envelope.event
    return FeedEvent(
        position=envelope.position,
        event_id=event_id(envelope),
        type=PREFIX + DIGEST,
        time=envelope.event.timestamp.isoformat(),
        subject=(),
        provinces=tuple(sorted(PROVINCES)),
        data=dict(event.digest),
    )


def registered(envelope: Envelope) -> FeedEvent:
    """A new act, as registered."""
    event: Registration.Registered = envelope.event
    data = {
        "act": envelope.originator,
        "kind": event.kind,
        "reference": event.reference,
        "occurred_on": event.occurred_on,
        "content": event.content,
    }
    people = parties(event.kind, event.parties, event.content)
    return _feed_event(envelope, ACT_TYPES[event.kind], event.reference, people, data)


def _target(envelope: Envelope, act: Amended) -> tuple[Data, list[dict[str, str]], Data]:
    """The reference, the parties and the common `data` of an event changing `act`."""
    content = act["content"]
    reference = dict(content.get("register") or {})
    people = parties(act["kind"], parties_of(act["kind"], act["pins"], content), content)
    return reference, people, {"act": envelope.originator, "kind": act["kind"]}


def corrected(envelope: Envelope, act: Amended) -> FeedEvent:
    """Fields of `act` changed by a correction act: each field's before and after. The
    correction's reason and basis are in its own `correction.registered` event (the ledger
    may store it just after this one, possibly in the runner's next batch)."""
    event: Registration.Corrected = envelope.event
    reference, people, data = _target(envelope, act)
    changes = [
        {"field": c["field"], "before": c.get("before"), "after": c["after"]} for c in event.changes
    ]
    data |= {
        "reference": reference,
        "correction": event.correction,
        "changes": changes,
    }
    return _feed_event(envelope, CORRECTED, reference, people, data)


def revoked(envelope: Envelope, act: Amended) -> FeedEvent:
    """`act` declared void by a decision."""
    event: Registration.Revoked = envelope.event
    reference, people, data = _target(envelope, act)
    data |= {
        "reference": reference,
        "decision": event.decision,
        "decided_on": event.decided_on,
        "deciding_authority": event.authority,
        "reason": event.reason,
    }
    return _feed_event(envelope, REVOKED, reference, people, data)


def entry_people(content: Data) -> list[dict[str, str]]:
    """The persons a staged entry describes by PIN, with their roles."""
    kind = str(content.get("kind", ""))
    return parties(kind, parties_of(kind, [], content), content)


def entry(envelope: Envelope, staged: Data) -> FeedEvent:
    """A staged entry (`staged`: its content) and what became of it."""
    event = envelope.event
    reference = dict(staged.get("register") or {})
    data: Data = {"entry": envelope.originator, "kind": staged.get("kind"), "reference": reference}
    if isinstance(event, StagedEntry.Staged):
        data |= {"status": EntryStatus.PENDING.value, "batch": event.batch, "content": staged}
    elif isinstance(event, StagedEntry.Approved):
        data |= {"status": EntryStatus.APPROVED.value, "act": event.act}
    elif isinstance(event, StagedEntry.Conflicted):
        reason = {"code": event.code, "detail": event.reason}
        data |= {"status": EntryStatus.CONFLICT.value, "reason": reason}
    else:
        reason = {"code": "rejected-by-approver", "detail": event.reason}
        data |= {"status": EntryStatus.REJECTED.value, "reason": reason}
    type_ = ENTRY_TYPES[type(event)]
    return _feed_event(envelope, type_, reference, entry_people(staged), data)


def attributes(
    event: FeedEvent, source: str, subject: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The envelope's CloudEvents attributes, `subject` as a subscriber may see it (default:
    all the event's PINs; none: no `subject` attribute)."""
    shown = event.subject if subject is None else subject
    attributes: dict[str, Any] = {
        "id": event.event_id,
        "source": source,
        "type": event.type,
        "specversion": "1.0",
        "time": datetime.fromisoformat(event.time),
        "datacontenttype": "application/json",
        "position": event.position,
    }
    if shown:
        attributes["subject"] = ",".join(shown)
    return attributes


def to_json(
    event: FeedEvent, source: str, data: Data | None = None, subject: tuple[str, ...] | None = None
) -> bytes:
    """The envelope in the CloudEvents JSON format (structured mode: the attributes, then
    `data`, a JSON value since `datacontenttype` is `application/json`), compact.

    Written straight from the attributes: they are this module's, the same for every event,
    and the SDK's object (`cloud_event`) checked each of them again for every event, a quarter
    of a feed page's time. A test builds every type's envelope both ways and compares bytes."""
    shown = event.written() if data is None else data
    return dumps_envelope({**attributes(event, source, subject), "data": shown})


def cloud_event(
    event: FeedEvent, source: str, data: Data | None = None, subject: tuple[str, ...] | None = None
) -> CloudEvent:
    """The same envelope as the CloudEvents SDK's object (what `to_json` writes is its JSON)."""
    return CloudEvent(attributes(event, source, subject), event.whole if data is None else data)
