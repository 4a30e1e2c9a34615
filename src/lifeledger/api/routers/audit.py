"""The access log for auditors: who read which person, when, and what they looked at."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lifeledger.api.deps import Auditor, Context, authorize
from lifeledger.api.schemas.common import UserName, problems
from lifeledger.api.schemas.out import AccessLogOut
from lifeledger.api.schemas.patterns import PIN_PATTERN
from lifeledger.auth import Permission
from lifeledger.domain.pin import Pin

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("/access", response_model=AccessLogOut, responses=problems(401, 403, 422))
def access_log(
    context: Context,
    user: Auditor,
    pin: Annotated[
        str | None, Query(pattern=PIN_PATTERN, description="Reads of this person")
    ] = None,
    by: Annotated[UserName | None, Query(alias="user", description="Reads by this user")] = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogOut:
    """Reads of persons, oldest first; a provincial auditor sees its provinces' persons."""
    if pin is not None:
        authorize(user, Permission.AUDIT, Pin.parse(pin, "pin").province)
    rows = context.access.query(pin, by, user.provinces, limit, after)
    next_after = rows[-1]["id"] if len(rows) == limit else None
    return AccessLogOut.model_validate({"entries": rows, "next_after": next_after})
