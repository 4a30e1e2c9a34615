"""Request bodies of the acts: the register export format (`docs/import-format.md`) with
`kind` implied by the route. These models document and pre-check the shape; the ledger's
`parse_act` remains the one gate that validates an act (PINs, dates, references)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from lifeledger.api.schemas.common import Body, Code, Date, Model, Name, PartialDate, Pin


class RegisterIn(Model):
    """Where and when the act was registered; (authority, book, number) identify it."""

    authority: Code = Field(examples=["034-XA-DONGHOA"])
    authority_name: Name | None = None
    province: str | None = Field(None, pattern=r"^[0-9]{3}$", examples=["034"])
    book: Code = Field(examples=["01/2009"])
    number: Code = Field(examples=["125"])
    page: int | None = Field(None, ge=1, le=1_000_000)
    registered_on: Date


class ScanIn(Model):
    path: Code
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class SourceIn(Model):
    system: Code | None = None
    regime: Code | None = None
    kind: Literal["live", "digitized", "court", "abroad", "reconciliation"] | None = None
    scan: ScanIn | None = None


class PersonIn(Model):
    """A person as an act names them; `pin` is optional for parents and declarants."""

    pin: Pin | None = None
    full_name: Name
    family_name: Name | None = None
    middle_name: str | None = Field(None, max_length=200)
    given_name: Name | None = None
    sex: Literal["M", "F"] | None = None
    birth_date: PartialDate | None = None
    birth_year: int | None = Field(None, ge=1800, le=2399)
    birth_place: Name | None = None
    hometown: Name | None = None
    ethnicity: Name | None = None
    nationality: Name | None = None
    residence: Name | None = None


class SubjectIn(PersonIn):
    """The person an act is about: the PIN is required."""

    pin: Pin


class ReferenceIn(Model):
    """An act's registration reference."""

    authority: Code
    book: Code
    number: Code


class ActIn(Body):
    """What every act carries."""

    register_: RegisterIn = Field(alias="register")
    occurred_on: PartialDate | None = None
    source: SourceIn | None = None
    entered_by: Code | None = None

    def entry(self, kind: str) -> dict[str, Any]:
        """The register-format entry this body states."""
        return {**self.model_dump(mode="json", exclude_unset=True, by_alias=True), "kind": kind}


class BirthIn(ActIn):
    child: SubjectIn
    mother: PersonIn | None = None
    father: PersonIn | None = None


class MarriageIn(ActIn):
    spouses: list[SubjectIn] = Field(min_length=2, max_length=2)


class CourtIn(Model):
    decision: Code
    name: Name | None = None
    effective_on: PartialDate


class SpousePinIn(Model):
    pin: Pin


class DivorceIn(ActIn):
    """Names the marriage by its registration reference, or by its two spouses' PINs."""

    marriage: ReferenceIn | None = None
    spouses: list[Pin | SpousePinIn] | None = Field(None, min_length=2, max_length=2)
    court: CourtIn
    annulment: bool = False


class DeathDetailsIn(Model):
    date: PartialDate
    time: str | None = Field(None, max_length=20)
    place: Name | None = None
    cause: Name | None = None
    notice: Code | None = None


class DeathIn(ActIn):
    deceased: SubjectIn
    death: DeathDetailsIn


class ParentageIn(ActIn):
    """Recognition of a parent (`mother`, `father`) or an adoption (`adoptive_*`)."""

    parent: SubjectIn
    child: SubjectIn
    role: Literal["mother", "father", "adoptive_mother", "adoptive_father"]
    decision: Code | None = None

    def kind(self) -> str:
        return "adoption" if self.role.startswith("adoptive") else "parentage"


class GuardianshipKindIn(Model):
    kind: Code | None = Field(None, examples=["minor", "incapacity"])


class GuardianshipIn(ActIn):
    """`action: open` (the default) opens a guardianship; `action: end` ends it."""

    action: Literal["open", "end"] = "open"
    ward: SubjectIn
    guardian: SubjectIn
    guardianship: GuardianshipKindIn | None = None

    def entry(self, kind: str = "") -> dict[str, Any]:
        ended = self.action == "end"
        content = super().entry("guardianship_ended" if ended else "guardianship_opened")
        content.pop("action", None)
        return content


class ChangeIn(Model):
    field: Code = Field(examples=["child.given_name"])
    before: Any = None
    after: Any


class CorrectionIn(ActIn):
    target: ReferenceIn
    subject_pin: Pin
    correction_kind: Literal["change", "correct", "supplement", "ethnicity", "sex"]
    changes: list[ChangeIn] = Field(min_length=1, max_length=100)
    reason: Name | None = None
    basis: Code


class RevocationIn(Body):
    """A competent decision declaring an act void."""

    target: ReferenceIn
    decision: Code
    decided_on: Date
    authority: Code
    reason: Name


class RejectionIn(Body):
    reason: Name
