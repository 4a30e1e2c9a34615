"""Response bodies. Every read carries the ledger `position` it reflects (also sent as the
`X-Ledger-Position` header); fields beyond those named here may be added, never renamed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lifeledger.api.schemas.common import Body, NewUserName, Province
from lifeledger.feed.envelopes import EVENT_TYPES

Document = dict[str, Any]


class Out(BaseModel):
    """A part of an answer: fields beyond those named may be added."""

    model_config = ConfigDict(extra="allow")


class WriteOut(Out):
    """An act written (201) or found already written with the same content (200).

    Event ids are `"{aggregate id}:{version}"`: stable, one per stored event."""

    status: Literal["accepted", "duplicate"]
    act_id: str | None
    reference: str = Field(examples=["034-XA-DONGHOA/01/2009/125"])
    position: int
    event_ids: list[str]


class RelatedOut(Out):
    pin: str | None
    full_name: str | None


class ParentsOut(Out):
    mother: RelatedOut | None = None
    father: RelatedOut | None = None


class ReferenceOut(Out):
    """A registration reference: the registering authority, the book, the number in it, and
    the day it was registered."""

    authority: str
    book: str
    number: str
    registered_on: str


class SpouseOut(RelatedOut):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    from_: str | None = Field(None, alias="from")
    to: str | None = None
    end_reason: str | None = None
    registration: ReferenceOut | None = Field(None, description="The marriage's registration")


class SiblingOut(RelatedOut):
    kind: str


class PersonOut(Out):
    """A person's civil status: identity, status, parents, children, spouses, siblings."""

    pin: str
    full_name: str | None
    sex: str | None
    birth_date: str | None
    death_date: str | None
    status: str
    marital_status: str
    parents: ParentsOut
    children: list[RelatedOut]
    spouses: list[SpouseOut]
    siblings: list[SiblingOut]
    position: int


class TimelineOut(Out):
    pin: str
    events: list[Document]
    position: int


class FamilyOut(Out):
    """Nodes (persons; a parent known by name only has an id `name:…`) and edges."""

    pin: str
    depth: int
    nodes: list[Document]
    edges: list[Document]
    position: int


class RelationshipOut(Out):
    a: str
    b: str
    position: int


class CorrectionsOut(Out):
    pin: str
    acts: list[Document]
    position: int


class SearchOut(Out):
    """Ranked matches: `total` of them, this page's `items`."""

    total: int
    items: list[Document]
    position: int


class RegistrationOut(Out):
    position: int


class StatsOut(Out):
    position: int


class EntriesOut(Out):
    entries: list[Document]
    next_after: int | None = Field(None, description="Pass as `after` for the next page")
    position: int


class DecisionOut(Out):
    """What became of a staged entry."""

    entry_id: str
    status: Literal["approved", "rejected"]
    act_id: str | None = None
    reference: str
    position: int | None
    event_ids: list[str]


class ImportCounts(Out):
    lines: int = 0
    accepted: int = 0
    staged: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0


class EntryCounts(Out):
    """An import's staged entries by what became of them."""

    pending: int = 0
    approved: int = 0
    rejected: int = 0
    conflict: int = 0


class ImportOut(Out):
    id: str
    status: Literal["running", "done", "failed"]
    counts: ImportCounts
    report: list[Document]
    user: str
    filename: str | None
    approve_as: str | None
    entered_by: str | None
    started_at: str
    finished_at: str | None
    position: int | None = Field(
        None,
        description="The ledger's position once the import was written (reads with this "
        "`min_position` see its lines); none while it runs or when it failed",
    )
    provinces: list[str] | None = Field(
        None,
        description="The provinces of the offices its lines name (`?`: a line that was no "
        "act); null for imports kept before they were recorded",
    )
    entries: EntryCounts | None = Field(
        None, description="What became of its staged entries so far (when read again)"
    )


class ImportApprovalOut(Out):
    """What became of an import's pending entries when an approver approved them."""

    import_id: str
    counts: dict[str, int] = Field(
        description="`entries` (pending and within the approver's provinces), `approved`, "
        "`conflict` (the rules refuse it now: in the conflict queue), `refused` (not this "
        "approver's to approve: left pending)"
    )
    report: list[Document] = Field(description="Conflicts and refusals, each with its reason")
    position: int


class AccessOut(Out):
    id: int
    at: str
    user: str
    roles: list[str]
    pin: str
    what: str
    detail: str | None


class AccessLogOut(Out):
    entries: list[AccessOut]
    next_after: int | None


Profile = Literal["full", "identity", "statistics"]
"""`auth.PROFILES`."""


class UserOut(Out):
    name: str
    roles: list[str]
    provinces: list[str]
    disabled: bool
    created_at: str
    profile: Profile


class NewUserOut(UserOut):
    api_key: str | None = Field(
        description="Shown once; a replay of the request (Idempotency-Key) shows null"
    )


class UserIn(Body):
    name: NewUserName
    roles: list[Literal["officer", "approver", "auditor", "subscriber", "admin"]] = Field(
        min_length=1, max_length=5
    )
    provinces: list[Province] = Field(
        default_factory=list, max_length=63, description="Empty: national"
    )
    profile: Profile = Field(
        default="full", description="What the user sees of the event feed's data (docs/events.md)"
    )


EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
"""`feed.envelopes.EVENT_TYPES`."""


class CloudEventOut(Out):
    """A CloudEvents 1.0 envelope in its JSON format (docs/events.md)."""

    specversion: Literal["1.0"]
    id: str = Field(description="`{aggregate id}:{version}`: unique within `source`")
    source: str
    type: str
    time: str
    datacontenttype: Literal["application/json"]
    position: int = Field(description="The event's ledger position")
    subject: str | None = Field(
        default=None, description="The PINs concerned, comma-separated (none: `statistics`)"
    )
    data: dict[str, Any]


class EventPageOut(Out):
    events: list[CloudEventOut]
    next_after: int = Field(description="`after` of the next page")
    position: int = Field(description="The position the feed has reached")


class HealthOut(Out):
    status: str


class ReadyOut(Out):
    status: str
    ledger_position: int
    projections_position: int
    lag: int
