"""API users, for admins: list, create (the key is shown once), disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from lifeledger.api.answers import Answer, answer_once, fingerprint
from lifeledger.api.deps import Admin, Context, IdempotencyKey
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import UserName, problems
from lifeledger.api.schemas.out import NewUserOut, UserIn, UserOut
from lifeledger.auth import User, UserError

router = APIRouter(prefix="/v1/users", tags=["users"])


def user_out(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "roles": list(user.roles),
        "provinces": list(user.provinces),
        "disabled": user.disabled,
        "created_at": user.created_at,
        "profile": user.profile,
    }


def _refused(error: UserError) -> ApiProblem:
    field, _, message = str(error).partition(": ")
    status = 409 if "already exists" in message else 422
    code = "user-exists" if status == 409 else "invalid-user"
    return ApiProblem(status, code, "User refused", str(error), field=field)


@router.get("", response_model=list[UserOut], responses=problems(401, 403))
def list_users(context: Context, user: Admin) -> list[dict[str, object]]:
    """Every API user with roles, provinces and whether disabled (never the keys)."""
    return [user_out(u) for u in context.users.users()]


@router.post(
    "",
    status_code=201,
    response_model=NewUserOut,
    responses=problems(401, 403, 409, 422, refusals=("idempotency-key-reused",)),
)
def create_user(
    body: UserIn, context: Context, admin: Admin, key: IdempotencyKey = None
) -> JSONResponse:
    """Create a user and show its API key once (only its SHA-256 is stored)."""

    def create() -> Answer:
        try:
            api_key = context.users.add(body.name, body.roles, body.provinces, body.profile)
        except UserError as error:
            raise _refused(error) from error
        made = next(u for u in context.users.users() if u.name == body.name.strip())
        return Answer(201, {**user_out(made), "api_key": api_key})

    def without_key(answer: Answer) -> Answer:
        return Answer(answer.status, {**answer.body, "api_key": None})

    request = body.model_dump(mode="json")
    return answer_once(context, admin, key, fingerprint("users", request), create, without_key)


@router.post(
    "/{name}/disable",
    response_model=UserOut,
    responses=problems(401, 403, 404, 409, 422, refusals=("idempotency-key-reused",)),
)
def disable_user(
    name: Annotated[UserName, Path()], context: Context, admin: Admin, key: IdempotencyKey = None
) -> JSONResponse:
    """Disable a user: its key stops working within a few seconds (the key cache)."""

    def disable() -> Answer:
        try:
            context.users.disable(name)
        except UserError as error:
            raise ApiProblem(404, "user-not-found", "User not found", str(error)) from error
        return Answer(200, user_out(next(u for u in context.users.users() if u.name == name)))

    return answer_once(context, admin, key, fingerprint("disable", name), disable)
