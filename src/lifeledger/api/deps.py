"""Dependencies of the routes, as `Annotated` aliases: the app's context, the authenticated
user (by role), the Idempotency-Key header, and `min_position` for reading one's own write."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, cast

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from lifeledger.api.context import ApiContext
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import MAX_POSITION
from lifeledger.auth import Permission, Principal

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `lifeledger users add NAME --role ROLE`",
)


# The dependencies are `async def` when they never block (a sync one costs a thread hop
# per request); the user's credential is looked up in a thread only when not remembered.
async def get_context(request: Request) -> ApiContext:
    return cast(ApiContext, request.app.state.context)


Context = Annotated[ApiContext, Depends(get_context)]


async def current_user(
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise ApiProblem(
            401,
            "unauthenticated",
            "A credential is required",
            "send the header Authorization: Bearer <API key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    remembered = context.users.remembered(credentials.credentials)
    if remembered is not None:
        user = remembered[0]
    else:
        user = await run_in_threadpool(context.users.authenticate, credentials.credentials)
    if user is None:
        raise ApiProblem(
            401,
            "invalid-credential",
            "Unknown or disabled credential",
            "the API key is unknown or its user is disabled",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def authorize(user: Principal, permission: Permission, province: str | None = None) -> None:
    """Refuse (403) unless one of the user's roles grants `permission` and, when the action
    concerns a province, the user's jurisdiction covers it."""
    if not user.may(permission):
        raise ApiProblem(
            403,
            "forbidden",
            "The user's roles do not allow this",
            f"{user.name} ({', '.join(user.roles)}) lacks the permission {permission.value}",
            permission=permission.value,
        )
    if province is not None and not user.covers(province):
        raise ApiProblem(
            403,
            "outside-jurisdiction",
            "Outside the user's jurisdiction",
            f"{user.name} acts in province(s) {', '.join(sorted(user.provinces))}; "
            f"this concerns province {province}",
            province=province,
        )


def needs(permission: Permission) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def dependency(user: CurrentUser) -> Principal:
        authorize(user, permission)
        return user

    return dependency


Officer = Annotated[Principal, Depends(needs(Permission.REGISTER))]
Reader = Annotated[Principal, Depends(needs(Permission.READ_PERSONS))]
Auditor = Annotated[Principal, Depends(needs(Permission.AUDIT))]
Importer = Annotated[Principal, Depends(needs(Permission.IMPORT))]
Approver = Annotated[Principal, Depends(needs(Permission.APPROVE))]
EntryReader = Annotated[Principal, Depends(needs(Permission.READ_ENTRIES))]
Admin = Annotated[Principal, Depends(needs(Permission.USERS))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Retry-safe key: the same key and body answer the first response again",
    ),
]

MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_POSITION,
        description="Wait (up to a few seconds) until the read models reflect this position",
    ),
]
