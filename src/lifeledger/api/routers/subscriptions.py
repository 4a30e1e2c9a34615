"""Webhook subscriptions, for subscribers: make one (its signing secret shown once), list,
read, pause, resume, rotate the secret, change its URL or filters, delete, and read its recent
deliveries. A subscriber reaches only their own: another's id answers as an unknown one.
Delivering them is `feed.webhooks`' job (docs/subscribers.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response

from lifeledger.api.answers import Answer, answer_once, fingerprint
from lifeledger.api.deps import Context, IdempotencyKey, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.routers.events import subscribed_provinces
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.subscriptions import (
    SUBSCRIPTION_ID_PATTERN,
    DeliveriesOut,
    SubscriptionChange,
    SubscriptionIn,
    SubscriptionSecretOut,
    SubscriptionsOut,
)
from lifeledger.auth import Permission, Principal
from lifeledger.feed.subscriptions import Changes, Subscription, SubscriptionStore
from lifeledger.feed.webhook_urls import UrlNotAllowed, check_url

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

Subscriber = Annotated[Principal, Depends(needs(Permission.EVENTS))]
SubscriptionId = Annotated[str, Path(pattern=SUBSCRIPTION_ID_PATTERN)]
MAX_PER_OWNER = 100
URL_REFUSALS = ("url-not-allowed", "province-not-subscribed")


def subscription_out(sub: Subscription, secret: str | None = None) -> dict[str, Any]:
    return {
        "id": sub.id,
        "url": sub.url,
        "types": list(sub.types),
        "provinces": list(sub.provinces),
        "state": sub.state,
        "pause_reason": sub.pause_reason,
        "cursor": sub.cursor,
        "failures": sub.failures,
        "next_attempt_at": sub.next_attempt_at,
        "delivered_at": sub.delivered_at,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
        "secret": secret,
    }


def checked_provinces(user: Principal, asked: list[str]) -> list[str]:
    """The province filter as sent, once each of them is the subscriber's (the pull feed's
    refusal, naming only what was sent); empty stays empty: every province the owner has
    when an event is sent."""
    subscribed_provinces(user, asked)
    return sorted(set(asked))


def _store(context: Context) -> SubscriptionStore:
    return context.subscriptions()


def _checked_url(context: Context, url: str) -> str:
    try:
        check_url(url, context.settings.webhook_allowed_networks)
    except UrlNotAllowed as refused:
        raise ApiProblem(
            422, "url-not-allowed", "Webhooks may not be sent there", str(refused), field="url"
        ) from refused
    return url


def _not_found(sub_id: str) -> ApiProblem:
    # The same answer for another subscriber's id: it says nothing of whether one exists.
    return ApiProblem(
        404, "subscription-not-found", "Subscription not found", f"no subscription {sub_id}"
    )


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionSecretOut,
    responses=problems(
        401,
        403,
        409,
        422,
        refusals=(
            *URL_REFUSALS,
            "after-beyond-position",
            "too-many-subscriptions",
            "idempotency-key-reused",
        ),
    ),
)
def create_subscription(
    body: SubscriptionIn, context: Context, user: Subscriber, key: IdempotencyKey = None
) -> JSONResponse:
    """Make a subscription; its signing secret is shown in this answer only. It delivers the
    events after `after`, or (without it) those recorded from now on."""

    def create() -> Answer:
        provinces = checked_provinces(user, body.provinces)
        url = _checked_url(context, body.url)
        head = context.ledger.position()
        _check_after(body.after, head)
        store = _store(context)
        if store.count(user.name) >= MAX_PER_OWNER:
            raise ApiProblem(
                422,
                "too-many-subscriptions",
                "Too many subscriptions",
                f"a subscriber may hold {MAX_PER_OWNER} subscriptions; delete one first",
            )
        cursor = head if body.after is None else body.after
        made, secret = store.create(user.name, url, body.types, provinces, cursor)
        return Answer(201, subscription_out(made, secret))

    def without_secret(answer: Answer) -> Answer:
        return Answer(answer.status, {**answer.body, "secret": None})

    request = body.model_dump(mode="json")
    return answer_once(
        context, user, key, fingerprint("subscriptions", request), create, without_secret
    )


def _check_after(after: int | None, head: int) -> None:
    if after is not None and after > head:
        raise ApiProblem(
            422,
            "after-beyond-position",
            "No such ledger position",
            f"after: {after} is beyond the ledger's position {head}",
            field="after",
        )


@router.get("", response_model=SubscriptionsOut, responses=problems(401, 403))
def list_subscriptions(context: Context, user: Subscriber) -> dict[str, Any]:
    """The caller's own subscriptions (never their secrets)."""
    found = _store(context).of_owner(user.name)
    return {"subscriptions": [subscription_out(sub) for sub in found]}


@router.get(
    "/{sub_id}", response_model=SubscriptionSecretOut, responses=problems(401, 403, 404, 422)
)
def read_subscription(sub_id: SubscriptionId, context: Context, user: Subscriber) -> Any:
    """One of the caller's subscriptions: its state, cursor and failures (`secret` is null)."""
    found = _store(context).find(user.name, sub_id)
    if found is None:
        raise _not_found(sub_id)
    return subscription_out(found)


@router.patch(
    "/{sub_id}",
    response_model=SubscriptionSecretOut,
    responses=problems(401, 403, 404, 422, refusals=URL_REFUSALS),
)
def change_subscription(
    sub_id: SubscriptionId, body: SubscriptionChange, context: Context, user: Subscriber
) -> Any:
    """Pause, resume (clears the failures, tries at once), rotate the secret (the new one is
    in this answer only), or change the URL or filters (checked as when made)."""
    store = _store(context)
    if store.find(user.name, sub_id) is None:
        raise _not_found(sub_id)
    changes = Changes(
        url=None if body.url is None else _checked_url(context, body.url),
        types=body.types,
        provinces=None if body.provinces is None else checked_provinces(user, body.provinces),
        state=body.state,
        rotate_secret=body.rotate_secret,
    )
    changed = store.change(user.name, sub_id, changes)
    if changed is None:  # deleted meanwhile
        raise _not_found(sub_id)
    return subscription_out(*changed)


@router.delete("/{sub_id}", status_code=204, responses=problems(401, 403, 404, 422))
def delete_subscription(sub_id: SubscriptionId, context: Context, user: Subscriber) -> Response:
    """Delete a subscription and its deliveries' records; nothing more is sent."""
    if not _store(context).delete(user.name, sub_id):
        raise _not_found(sub_id)
    return Response(status_code=204)


@router.get(
    "/{sub_id}/deliveries", response_model=DeliveriesOut, responses=problems(401, 403, 404, 422)
)
def list_deliveries(sub_id: SubscriptionId, context: Context, user: Subscriber) -> Any:
    """The subscription's most recent delivery attempts, newest first."""
    store = _store(context)
    if store.find(user.name, sub_id) is None:
        raise _not_found(sub_id)
    return {"deliveries": [vars(d) for d in store.deliveries(sub_id)]}
