"""Where each kind of act keeps what the ledger reads of it: the persons it describes, the
act-level fields a correction may change, and the corrected fields that move a fact the rules
look at. Both the write side (rules, corrections) and the read side (projections) read these
tables; neither owns them."""

from __future__ import annotations

from lifeledger.domain.vocabulary import ActKind

PERSON_PATHS: dict[str, tuple[str, ...]] = {
    ActKind.BIRTH: ("child", "mother", "father"),
    ActKind.MARRIAGE: ("spouses.0", "spouses.1"),
    ActKind.DEATH: ("deceased",),
    ActKind.PARENTAGE: ("parent", "child"),
    ActKind.ADOPTION: ("parent", "child"),
    ActKind.GUARDIANSHIP_OPENED: ("ward", "guardian"),
    ActKind.GUARDIANSHIP_ENDED: ("ward", "guardian"),
}
"""Act kind -> the paths in its content of the persons it describes (a person's role is the
path's first word, singular: `spouses.0` -> spouse)."""

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
