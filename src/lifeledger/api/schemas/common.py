"""Shared pieces of the request and response models: text that the stores can hold, PINs,
dates, and the problem document."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lifeledger.domain.acts import check_storable
from lifeledger.domain.errors import InvalidEntry


def check_text(value: str) -> str:
    """Refuse text no store can hold (see `check_storable`)."""
    check_json(value, "text")
    return value


def check_json(value: Any, where: str = "body") -> None:
    """Walk a JSON document (extra fields included) and refuse what the stores and the JSON
    answers cannot carry, as a validation error naming where it is."""
    try:
        check_storable(value, where)
    except InvalidEntry as error:
        raise ValueError(error.message) from error


Text = Annotated[str, AfterValidator(check_text)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_text)]
Code = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(check_text)]
PIN_PATTERN = r"^[0-9]{12}$"
Pin = Annotated[str, Field(pattern=PIN_PATTERN, examples=["034209001234"])]
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def check_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a calendar date") from error
    return value


Date = Annotated[
    str, Field(pattern=DATE_PATTERN, examples=["2009-03-14"]), AfterValidator(check_date)
]


def check_partial_date(value: str) -> str:
    parts = value.split("-")
    if len(parts) == 3:
        return check_date(value)
    if len(parts) == 2 and not 1 <= int(parts[1]) <= 12:
        raise ValueError(f"{value!r}: the month must be 01 to 12")
    return value


PartialDate = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        description="YYYY, YYYY-MM or YYYY-MM-DD",
        examples=["2009-03-01"],
    ),
    AfterValidator(check_partial_date),
]


class Model(BaseModel):
    """A part of a request or response; unknown fields are kept (the import format keeps
    them under `extra` of the act, never drops them)."""

    model_config = ConfigDict(extra="allow")


class Body(Model):
    """A whole request body: checked for text and numbers the stores cannot hold."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_json(data)
        return data


class Problem(Model):
    """RFC 9457 problem document."""

    type: str = Field(examples=["https://lifeledger.example/problems/bigamy"])
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


PROBLEM = "application/problem+json"


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses a route can answer."""
    texts = {
        401: "No or unknown credential",
        403: "The role or jurisdiction does not allow it",
        404: "Not found",
        409: "Refused by a rule of the law, or a concurrent write",
        413: "Too large",
        422: "Malformed input (the field is named)",
        503: "Not ready yet (Retry-After)",
    }
    return {
        status: {
            "description": texts.get(status, "Problem"),
            "model": Problem,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
