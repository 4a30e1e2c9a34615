"""Every refusal the ledger can give, one class per rule, each with a stable code.

    LedgerError                      code, message naming the facts, facts dict
     ├── InvalidInput (422)          the input itself is malformed
     │    ├── InvalidPin, PinMismatch, InvalidAuthority, ProvinceMismatch
     │    ├── InvalidDate ── DateInFuture, DateAfterRegistration
     │    └── InvalidEntry ── InvalidText, LimitExceeded ── LineTooLong
     ├── NotFound (404)              PersonNotFound, ActNotFound, EntryNotFound
     ├── Forbidden (403)             OutsideJurisdiction: the act is another province's
     ├── RuleViolation (409)         a rule of the law refuses the act
     │    ├── BirthAlreadyRegistered, ParentNotOlder, ParentDeadAtBirth, ParentRoleTaken,
     │    ├── ParentSexMismatch
     │    ├── UnderMarriageAge, SameSexMarriage, Bigamy, KinshipBan, PartyDeceased
     │    ├── MarriageNotOpen, DivorceBeforeMarriage
     │    ├── DeathAlreadyRegistered, DeathBeforeBirth, ActAfterDeath, ActBeforeBirth
     │    ├── GuardianNotAdult, WardNotMinor, GuardianshipNotOpen
     │    ├── StaleCorrection, PinNotCorrectable, FieldNotCorrectable, ActRevoked
     │    └── FourEyes, EntryNotPending
     └── Conflict (409)              ReferenceConflict, ConcurrentWrite,
                                     RefusedOutsideJurisdiction (the reason is withheld)

The API maps the category bases to HTTP once; a new rule needs no new handler.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Base of every refusal: a stable `code`, a message that names the facts."""

    code: ClassVar[str] = "ledger-error"
    title: ClassVar[str] = "Ledger error"

    def __init__(self, message: str, **facts: Any) -> None:
        super().__init__(message)
        self.message = message
        self.facts = facts
        self.concerns: frozenset[str] = frozenset()
        """The PINs of the persons the refusal is about, beyond those its message names (the
        persons of the act, and of the act it changes): who may be told why."""

    def __str__(self) -> str:
        return self.message


class InvalidInput(LedgerError):
    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, message: str, field: str | None = None, **facts: Any) -> None:
        super().__init__(message, field=field, **facts)
        self.field = field


class NotFound(LedgerError):
    code = "not-found"
    title = "Not found"


class Forbidden(LedgerError):
    code = "forbidden"
    title = "Forbidden"


class RuleViolation(LedgerError):
    code = "rule-violation"
    title = "Refused by a rule"


class Conflict(LedgerError):
    code = "conflict"
    title = "Conflict"


class InvalidPin(InvalidInput):
    code = "invalid-pin"
    title = "Invalid personal identification number"


class PinMismatch(InvalidInput):
    code = "pin-mismatch"
    title = "PIN disagrees with the person's sex or birth year"


class InvalidDate(InvalidInput):
    code = "invalid-date"
    title = "Invalid date"


class DateInFuture(InvalidDate):
    code = "date-in-future"
    title = "A date after today"


class DateAfterRegistration(InvalidDate):
    code = "date-after-registration"
    title = "A date the act states is after the act's registration"


class InvalidEntry(InvalidInput):
    code = "invalid-entry"
    title = "Invalid entry"


class InvalidText(InvalidEntry):
    code = "invalid-text"
    title = "Text holding a control or invisible character"


class LimitExceeded(InvalidEntry):
    code = "limit-exceeded"
    title = "A value beyond the ledger's limits (length, count, nesting, size)"


class LineTooLong(LimitExceeded):
    code = "line-too-long"
    title = "A line of the export is longer than the limit"


class InvalidAuthority(InvalidInput):
    code = "invalid-authority"
    title = "An authority code must begin with a known province code and '-'"


class ProvinceMismatch(InvalidInput):
    code = "province-mismatch"
    title = "The stated province is not the registering authority's"


class PersonNotFound(NotFound):
    code = "person-not-found"
    title = "Person not found"


class ActNotFound(NotFound):
    code = "act-not-found"
    title = "Act not found"


class EntryNotFound(NotFound):
    code = "entry-not-found"
    title = "Staged entry not found"


class OutsideJurisdiction(Forbidden):
    code = "outside-jurisdiction"
    title = "Outside the user's jurisdiction"


class BirthAlreadyRegistered(RuleViolation):
    code = "birth-already-registered"
    title = "Birth already registered for this PIN"


class ParentNotOlder(RuleViolation):
    code = "parent-not-older"
    title = "Parent not born before the child"


class ParentDeadAtBirth(RuleViolation):
    code = "parent-dead-at-birth"
    title = "Parent had died before the birth"


class ParentSexMismatch(RuleViolation):
    code = "parent-sex-mismatch"
    title = "The parent's sex does not fit the role"


class ParentRoleTaken(RuleViolation):
    code = "parent-role-taken"
    title = "The child already has a parent in this role"


class UnderMarriageAge(RuleViolation):
    code = "under-marriage-age"
    title = "Below the marriage age"


class SameSexMarriage(RuleViolation):
    code = "same-sex-marriage"
    title = "A marriage is between one man and one woman"


class Bigamy(RuleViolation):
    code = "bigamy"
    title = "Already married on that date"


class KinshipBan(RuleViolation):
    code = "kinship-ban"
    title = "Relatives may not marry"


class PartyDeceased(RuleViolation):
    code = "party-deceased"
    title = "A party had died before the act"


class MarriageNotOpen(RuleViolation):
    code = "marriage-not-open"
    title = "The marriage is not open"


class DivorceBeforeMarriage(RuleViolation):
    code = "divorce-before-marriage"
    title = "Divorce effective before the marriage"


class DeathAlreadyRegistered(RuleViolation):
    code = "death-already-registered"
    title = "Death already registered for this PIN"


class DeathBeforeBirth(RuleViolation):
    code = "death-before-birth"
    title = "Death dated before birth"


class ActAfterDeath(RuleViolation):
    code = "act-after-death"
    title = "An act of the person is dated after the death"


class ActBeforeBirth(RuleViolation):
    code = "act-before-birth"
    title = "An act of the person is dated before the birth"


class GuardianNotAdult(RuleViolation):
    code = "guardian-not-adult"
    title = "The guardian is not an adult"


class WardNotMinor(RuleViolation):
    code = "ward-not-minor"
    title = "The ward is neither a minor nor lacking capacity"


class GuardianshipNotOpen(RuleViolation):
    code = "guardianship-not-open"
    title = "No open guardianship between these persons"


class StaleCorrection(RuleViolation):
    code = "stale-correction"
    title = "The correction's 'before' is not the current value"


class PinNotCorrectable(RuleViolation):
    code = "pin-not-correctable"
    title = "A PIN is never changed by a correction"


class FieldNotCorrectable(RuleViolation):
    code = "field-not-correctable"
    title = "The field does not exist on the corrected act"


class ActRevoked(RuleViolation):
    code = "act-revoked"
    title = "The act has been revoked"


class FourEyes(RuleViolation):
    code = "four-eyes"
    title = "An entry must be approved by a second user"


class EntryNotPending(RuleViolation):
    code = "entry-not-pending"
    title = "The entry is not waiting for approval"


class ReferenceConflict(Conflict):
    code = "reference-conflict"
    title = "Another act holds this registration reference"


class RefusedOutsideJurisdiction(Conflict):
    """A refusal whose reason concerns persons the user may not read: it names no fact."""

    code = "refused-outside-jurisdiction"
    title = "Refused for a reason outside the user's jurisdiction"


class ConcurrentWrite(Conflict):
    code = "concurrent-write"
    title = "Another write changed the same persons; try again"


def all_error_classes() -> list[type[LedgerError]]:
    """Every concrete error class, for the API's problem-type table and its docs."""
    found: list[type[LedgerError]] = []
    pending: list[type[LedgerError]] = [LedgerError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
