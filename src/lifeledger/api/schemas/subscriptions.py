"""Request and response bodies of `/v1/subscriptions` (webhooks, docs/subscribers.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt

from lifeledger.api.schemas.common import INTEGRAL, MAX_POSITION, Body, Province
from lifeledger.api.schemas.out import EventType, Out

WEBHOOK_URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://[!-~]+$"
WebhookUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2000,
        pattern=WEBHOOK_URL_PATTERN,
        description="Where to POST the events: http(s), a host that resolves to public "
        "addresses only (or to the networks the operator allows), no user name or password",
        examples=["https://receiver.example/hooks/lifeledger"],
    ),
]
SUBSCRIPTION_ID_PATTERN = "^sub_[0-9a-f]{32}$"
State = Literal["active", "paused"]
Types = Annotated[
    list[EventType], Field(max_length=20, description="Only these types (none: every type)")
]
Provinces = Annotated[
    list[Province],
    Field(
        max_length=63,
        description="Only events concerning these provinces, all of them the owner's (none: "
        "every province of the owner)",
    ),
]


class SubscriptionIn(Body):
    url: WebhookUrl
    types: Types = Field(default_factory=list)
    provinces: Provinces = Field(default_factory=list)
    after: Annotated[StrictInt, Field(ge=0, le=MAX_POSITION), INTEGRAL] | None = Field(
        default=None,
        description="Deliver the events after this ledger position (0: every event); "
        "absent: only the events recorded after the subscription is made",
    )


class SubscriptionChange(Body):
    url: WebhookUrl | None = None
    types: Types | None = None
    provinces: Provinces | None = None
    state: State | None = Field(
        default=None, description="`paused` stops deliveries; `active` resumes them at once"
    )
    rotate_secret: StrictBool = Field(
        default=False, description="A new signing secret, shown in this answer only"
    )


class SubscriptionOut(Out):
    id: str = Field(examples=["sub_9f0c5a2e4b7d4c1e8a6f3b2d1c0e9f8a"])
    url: str
    types: list[str]
    provinces: list[str]
    state: State
    pause_reason: str | None = Field(
        description="Why it is paused: by its owner, or the failures and the last of them"
    )
    cursor: int = Field(
        description="The ledger position delivered through: the next event sent is the "
        "first after it that the subscription receives"
    )
    failures: int = Field(description="Failed attempts in a row (0 after a delivery)")
    next_attempt_at: str = Field(description="Not before (UTC), after a failure")
    delivered_at: str | None
    created_at: str
    updated_at: str


class SubscriptionSecretOut(SubscriptionOut):
    secret: str | None = Field(
        description="The Standard Webhooks signing secret (`whsec_…`), shown once: when the "
        "subscription is made or its secret rotated; null otherwise and in a replay "
        "(Idempotency-Key)"
    )


class SubscriptionsOut(Out):
    subscriptions: list[SubscriptionOut]


class DeliveryOut(Out):
    event_id: str = Field(description="The CloudEvents id, sent as `webhook-id`")
    position: int
    attempt: int = Field(description="1 for the first attempt at this event, 2 for its retry…")
    status: int | None = Field(description="The receiver's HTTP status (null: no answer)")
    latency_ms: int
    error: str | None
    at: str


class DeliveriesOut(Out):
    deliveries: list[DeliveryOut] = Field(description="The most recent (up to 100), newest first")
