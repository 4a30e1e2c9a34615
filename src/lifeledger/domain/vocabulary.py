"""The ledger's words: the kinds of act, the roles a person plays in one, and what becomes of
a staged entry. Each is a `StrEnum`, so a member is the very string stored in events and rows
(`ActKind.BIRTH == "birth"`) and events written before these types existed read the same."""

from __future__ import annotations

from enum import StrEnum


class ActKind(StrEnum):
    """What a register entry records (one aggregate type, one event class per kind)."""

    BIRTH = "birth"
    MARRIAGE = "marriage"
    DIVORCE = "divorce"
    DEATH = "death"
    PARENTAGE = "parentage"
    ADOPTION = "adoption"
    GUARDIANSHIP_OPENED = "guardianship_opened"
    GUARDIANSHIP_ENDED = "guardianship_ended"
    CORRECTION = "correction"


class PartyRole(StrEnum):
    """The part a person plays in an act (`ll_act_person.role`, an event's `parties`)."""

    CHILD = "child"
    MOTHER = "mother"
    FATHER = "father"
    SPOUSE = "spouse"
    DECEASED = "deceased"
    PARENT = "parent"
    WARD = "ward"
    GUARDIAN = "guardian"
    SUBJECT = "subject"  # the person a correction changes


class EntryStatus(StrEnum):
    """What became of a staged entry: waiting, an act, refused by its approver, or refused by
    the rules at approval (the conflict queue)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONFLICT = "conflict"


BLOOD_ROLES: tuple[str, str] = (PartyRole.MOTHER.value, PartyRole.FATHER.value)
"""A child's parents by birth, as plain text (they key a person's parents in JSON)."""
