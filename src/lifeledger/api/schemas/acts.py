"""Request bodies of the acts: the register export format (`docs/import-format.md`) with
`kind` implied by the route. They state every field's form and which fields each kind
requires, so the OpenAPI document says what the ledger takes; the ledger's `parse_act`
stays the one gate that checks an act, and refuses what no schema can state (fields that
contradict each other, a date after today): the 422 `refusals` of the act routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, model_validator

from lifeledger.api.schemas.common import (
    INTEGRAL,
    Authority,
    Body,
    Code,
    Date,
    Extra,
    Model,
    Name,
    OptionalName,
    PartialDate,
    Pin,
    Province,
    Value,
    Year,
)
from lifeledger.domain.errors import InvalidEntry


def _requires_one_of(*choices: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema for "one of these (nested) fields is given, and not null"."""

    def given(path: tuple[str, ...]) -> dict[str, Any]:
        schema: dict[str, Any] = {"not": {"type": "null"}}
        for part in reversed(path):
            schema = {"required": [part], "properties": {part: schema}}
        return schema

    return {"anyOf": [given(path) for path in choices]}


def missing(field: str, message: str) -> ValueError:
    """A refusal of the whole body that names the field (see `problems.validation_problem`)."""
    error = ValueError(message)
    error.__cause__ = InvalidEntry(message, field=field)
    return error


Page = Annotated[StrictInt, Field(ge=1, le=99_999), INTEGRAL]


class RegisterIn(Model):
    """Where and when the act was registered; (authority, book, number) identify it."""

    authority: Authority
    authority_name: Name | None = None
    province: Province | None = Field(None, description="The authority's province code")
    book: Code = Field(examples=["01/2009"])
    number: Code = Field(examples=["125"])
    page: Page | None = None
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
    middle_name: OptionalName | None = None
    given_name: Name | None = None
    sex: Literal["M", "F"] | None = None
    birth_date: PartialDate | None = None
    birth_year: Year | None = None
    birth_place: Name | None = None
    hometown: Name | None = None
    ethnicity: Name | None = None
    nationality: Name | None = None
    residence: Name | None = None


class SubjectIn(PersonIn):
    """The person an act is about: the PIN is required."""

    pin: Pin


class ChildIn(SubjectIn):
    """The child of a birth: PIN and sex required."""

    sex: Literal["M", "F"]


class ReferenceIn(Model):
    """An act's registration reference."""

    authority: Authority
    book: Code
    number: Code


class ActIn(Body):
    """What every act carries."""

    register_: RegisterIn = Field(alias="register")
    occurred_on: PartialDate | None = None
    source: SourceIn | None = None
    entered_by: Code | None = None
    extra: Extra | None = None

    def entry(self, kind: str) -> dict[str, Any]:
        """The register-format entry this body states."""
        return {**self.model_dump(mode="json", exclude_unset=True, by_alias=True), "kind": kind}


class BirthIn(ActIn):
    """The birth date is the child's `birth_date`, else `occurred_on`: one is required."""

    model_config = ConfigDict(
        json_schema_extra=_requires_one_of(("occurred_on",), ("child", "birth_date"))
    )

    child: ChildIn
    mother: PersonIn | None = None
    father: PersonIn | None = None

    @model_validator(mode="after")
    def _dated(self) -> BirthIn:
        if self.occurred_on is None and self.child.birth_date is None:
            raise missing("child.birth_date", "child.birth_date or occurred_on is required")
        return self


class MarriageIn(ActIn):
    occurred_on: PartialDate
    spouses: list[SubjectIn] = Field(min_length=2, max_length=2)


class CourtIn(Model):
    decision: Code
    name: Name | None = None
    effective_on: PartialDate


class SpousePinIn(Model):
    pin: Pin


class DivorceIn(ActIn):
    """Names the marriage by its registration reference, or by its two spouses' PINs."""

    model_config = ConfigDict(json_schema_extra=_requires_one_of(("marriage",), ("spouses",)))

    marriage: ReferenceIn | None = None
    spouses: list[Pin | SpousePinIn] | None = Field(None, min_length=2, max_length=2)
    court: CourtIn
    annulment: StrictBool = False

    @model_validator(mode="after")
    def _named(self) -> DivorceIn:
        if self.marriage is None and self.spouses is None:
            raise missing("marriage", "marriage or spouses is required")
        return self


class DeathDetailsIn(Model):
    date: PartialDate
    time: Code | None = None
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
    before: Value = None
    after: Value


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
