"""Shared pieces of the request and response models: PINs, dates, names and codes in the
exact forms the server accepts (`patterns`), and the problem documents each route answers.

Request models are closed (an unknown field is refused, naming it) and strict (a number is
not taken for text, nor text for a number), so that the OpenAPI document states exactly
what the server accepts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from lifeledger.api.schemas.patterns import (
    AUTHORITY_PATTERN,
    DATE_PATTERN,
    FIRST_YEAR,
    LAST_YEAR,
    NAME_PATTERN,
    OPTIONAL_NAME_PATTERN,
    PARTIAL_DATE_PATTERN,
    PIN_PATTERN,
    PROVINCE_PATTERN,
    TEXT_PATTERN,
    USER_NAME_PATTERN,
)
from lifeledger.domain.canonical import check_storable
from lifeledger.domain.errors import InvalidEntry

Pin = Annotated[
    str,
    Field(
        pattern=PIN_PATTERN,
        description="12 ASCII digits, the first three a known province code",
        examples=["034209001234"],
    ),
]
Province = Annotated[
    str, Field(pattern=PROVINCE_PATTERN, description="A province code", examples=["034"])
]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=NAME_PATTERN)]
"""A person's or a place's name: something visible, no control or format character."""
OptionalName = Annotated[str, Field(max_length=200, pattern=OPTIONAL_NAME_PATTERN)]
"""A name part that may be empty (a middle name)."""
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=NAME_PATTERN)]
"""A code, a number, a book ("01/2009"), a decision ("QĐ 5/2020")."""
Authority = Annotated[
    str,
    Field(
        min_length=5,
        max_length=100,
        pattern=AUTHORITY_PATTERN,
        description="The registering office: its province code, '-', its code",
        examples=["034-XA-DONGHOA"],
    ),
]
Text = Annotated[str, Field(max_length=1000, pattern=TEXT_PATTERN)]
"""Free text: anything a store can hold."""
NewUserName = Annotated[str, Field(min_length=1, max_length=64, pattern=USER_NAME_PATTERN)]
UserName = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]
"""The name of an existing user (made by the CLI, it may be any printable text)."""
Date = Annotated[
    str,
    Field(pattern=DATE_PATTERN, description="YYYY-MM-DD, 1800 to 2099", examples=["2009-03-14"]),
]
PartialDate = Annotated[
    str,
    Field(
        pattern=PARTIAL_DATE_PATTERN,
        description="YYYY, YYYY-MM or YYYY-MM-DD, 1800 to 2099",
        examples=["2009-03-01"],
    ),
]


def _integral(value: Any) -> Any:
    """JSON Schema's integer: 1987 and 1987.0 alike (text or a truth value stays refused)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


INTEGRAL = BeforeValidator(_integral)
"""Put after an integer's bounds (else pydantic cannot write them into the JSON Schema)."""
Year = Annotated[StrictInt, Field(ge=FIRST_YEAR, le=LAST_YEAR), INTEGRAL]
MAX_POSITION = 2**53
"""The largest ledger position, log size or cursor a request may name: an integer every JSON
reader holds exactly, and more events than any ledger will hold."""
SafeInt = Annotated[StrictInt, Field(ge=-(2**53), le=2**53), INTEGRAL]
"""An integer every JSON reader holds exactly."""
SafeFloat = Annotated[StrictFloat, Field(ge=-(2**53), le=2**53)]
Value = Text | SafeInt | SafeFloat | StrictBool | None
"""A JSON scalar a store can hold: a field's value before or after a correction, an extra."""
ExtraKey = Annotated[str, Field(pattern="^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
Extra = Annotated[
    dict[ExtraKey, Value],
    Field(
        max_length=50,
        description="Up to 50 fields the format does not know, kept with the act",
        json_schema_extra={"additionalProperties": False},
    ),
]


class Model(BaseModel):
    """A part of a request: closed (unknown fields are refused) and strict (no number is
    read as text, no text as a number or a truth value)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


Body = Model
"""A whole request body."""


class Problem(BaseModel):
    """RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://lifeledger.example/problems/bigamy"])
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


PROBLEM = "application/problem+json"


def check_json(value: Any, where: str = "body") -> None:
    """Walk a JSON document and refuse what the stores and the JSON answers cannot carry,
    as a validation error naming where it is."""
    try:
        check_storable(value, where)
    except InvalidEntry as error:
        raise ValueError(error.message) from error


PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}

TEXTS = {
    401: "No or unknown credential (`unauthenticated`, `invalid-credential`)",
    403: "The role (`forbidden`) or the jurisdiction (`outside-jurisdiction`) does not allow it",
    404: "Not found",
    409: "Refused by a rule of the law (the code names it), a concurrent write, or an "
    "Idempotency-Key still in use by a request that has not answered yet",
    413: "Too large",
    422: "The request does not match this document: `invalid-request` names the field "
    "(`invalid-pin` for a PIN)",
    503: "Not ready yet, or the store is busy: retry after `Retry-After` seconds",
}

REFUSALS: dict[str, str] = {
    "pin-mismatch": "a PIN's century digit disagrees with the person's sex, or its year "
    "digits with the birth date or year",
    "invalid-date": "a date that is not a day of the calendar",
    "date-in-future": "a registration dated after today (today as it is at UTC+14)",
    "date-after-registration": "a date the act states (its fact, a birth, a death, a court "
    "decision, a corrected date) after the act's registration",
    "province-mismatch": "a `register.province` that is not the authority's own code",
    "invalid-text": "text holding a control, invisible formatting, private-use or unassigned "
    "character (in free text as in names)",
    "limit-exceeded": "an act holding more than 1,000 values in all (a correction's `before` "
    "and `after` may be any JSON)",
    "invalid-entry": "fields that contradict each other: one PIN for two roles of the act "
    "(both spouses, a person their own parent or guardian), a parent's sex that does not fit "
    "the role, a birth year that disagrees with the birth date, a `register.province` that "
    "is not the authority's, a correction's new value that its field cannot take",
    "idempotency-key-reused": "the Idempotency-Key was first used with another request",
    "position-not-reached": "`min_position` is beyond the ledger's position",
    "search-too-broad": "none of `q`, `birth_date`, `birth_year` is given",
    "province-required": "a user of several provinces does not name one",
    "unreadable-export": "the file is not UTF-8 JSON Lines or CSV (gzip allowed)",
    "empty-export": "the file is empty",
    "unstorable-entry": "a line holds what no store can hold",
    "after-beyond-position": "`after` is beyond the ledger's position",
    "province-not-subscribed": "a `province` filter names a province that is not the subscriber's",
    "tree-size-beyond-log": "`tree_size` or `to` is beyond the Merkle log's size",
    "event-not-logged": "`event_id` names no event of the log that the caller may read",
    "event-not-in-tree": "the event was logged after the tree of `tree_size`",
    "from-after-to": "`from` is greater than `to`",
    "period-reversed": "`since` is after `until`",
    "url-not-allowed": "a webhook URL whose host does not resolve to public addresses only "
    "(nor to a network the operator allows), or that holds a user name or password",
    "too-many-subscriptions": "the subscriber already holds the most subscriptions allowed",
    "invalid-last-event-id": "`Last-Event-ID` is not an event id of the stream (a position)",
}
"""Why the server refuses (422) a request that this document allows: reasons no schema can
state (fields that contradict each other, the state of the ledger, the day it is)."""


MALFORMED = ("invalid-request", "invalid-pin")
"""The codes of a request that does not match the OpenAPI document (a PIN: `invalid-pin`)."""
REFUSALS_KEY = "x-refusals"
"""The 422 answer's list of the codes (REFUSALS) a request that matches the document gets."""


def problems(*statuses: int, refusals: tuple[str, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses a route can answer; `refusals` are the
    codes (of REFUSALS) of 422s to requests that match the document."""
    return {status: _problem_response(status, refusals) for status in statuses}


def _problem_response(status: int, refusals: tuple[str, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = PROBLEM_SCHEMA
    description = TEXTS.get(status, "Problem")
    answer: dict[str, Any] = {"description": description}
    if status == 422:
        codes = {"enum": [*MALFORMED, *refusals]}
        schema = {"allOf": [PROBLEM_SCHEMA, {"properties": {"code": codes}}]}
        answer[REFUSALS_KEY] = list(refusals)
        if refusals:
            reasons = "; ".join(f"`{code}`: {REFUSALS[code]}" for code in refusals)
            answer["description"] += f". A request that matches it is refused when {reasons}"
    return {**answer, "content": {PROBLEM: {"schema": schema}}}
