"""Where each kind of act keeps what the ledger reads of it: the persons it describes and the
role each plays, the act-level fields a correction may change, and the corrected fields that
move a fact the rules look at. Both the write side (rules, corrections, an event's parties)
and the read side (projections) read these tables; neither owns them."""

from __future__ import annotations

from lifeledger.domain.vocabulary import ActKind, PartyRole

PERSON_NODES: dict[str, tuple[tuple[str, PartyRole], ...]] = {
    ActKind.BIRTH: (
        ("child", PartyRole.CHILD),
        ("mother", PartyRole.MOTHER),
        ("father", PartyRole.FATHER),
    ),
    ActKind.MARRIAGE: (("spouses.0", PartyRole.SPOUSE), ("spouses.1", PartyRole.SPOUSE)),
    ActKind.DEATH: (("deceased", PartyRole.DECEASED),),
    ActKind.PARENTAGE: (("parent", PartyRole.PARENT), ("child", PartyRole.CHILD)),
    ActKind.ADOPTION: (("parent", PartyRole.PARENT), ("child", PartyRole.CHILD)),
    ActKind.GUARDIANSHIP_OPENED: (("ward", PartyRole.WARD), ("guardian", PartyRole.GUARDIAN)),
    ActKind.GUARDIANSHIP_ENDED: (("ward", PartyRole.WARD), ("guardian", PartyRole.GUARDIAN)),
}
"""Act kind -> (path in its content, role) of each person it describes, in this order."""

PERSON_PATHS: dict[str, tuple[str, ...]] = {
    kind: tuple(path for path, _ in nodes) for kind, nodes in PERSON_NODES.items()
}
"""Act kind -> the paths in its content of the persons it describes."""

ROLE_OF_EVERY_PIN: dict[str, PartyRole] = {
    ActKind.DIVORCE: PartyRole.SPOUSE,
    ActKind.CORRECTION: PartyRole.SUBJECT,
}
"""The kinds that describe nobody (a divorce names the marriage, a correction the act it
changes) -> the role every person the act concerns plays in it."""


ACT_FIELDS = (
    "occurred_on",
    "death.date",
    "death.time",
    "death.place",
    "death.cause",
    "death.notice",
    "court.decision",
    "court.name",
    "court.effective_on",
)
"""The fields of an act, not of a person in it, that a correction may change."""

FACT_FIELDS: dict[str, dict[str, str]] = {
    ActKind.BIRTH: {"child.birth_date": "on", "occurred_on": "on", "child.sex": "sex"},
    ActKind.DEATH: {"death.date": "on", "occurred_on": "on"},
    ActKind.MARRIAGE: {"occurred_on": "on"},
    ActKind.DIVORCE: {"court.effective_on": "on"},
}
"""Corrected fields that change a fact the rules look at: act kind -> field -> fact key."""
