"""Operations: liveness, readiness (store reachable, projections within lag) and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from lifeledger.api.deps import Context, needs
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import problems
from lifeledger.api.schemas.out import HealthOut, ReadyOut
from lifeledger.auth import Permission

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut)
async def healthz() -> dict[str, str]:
    """The process is up (no credential needed)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, responses=problems(503))
def readyz(context: Context) -> JSONResponse:
    """Ready: the store answers and the read models are within the lag bound."""
    try:
        ledger, projections = context.positions()
    except Exception as error:
        raise ApiProblem(
            503,
            "store-unavailable",
            "The store is unavailable",
            f"store: {error}",
            headers={"Retry-After": "5"},
        ) from error
    lag = ledger - projections
    if lag > context.settings.ready_max_lag:
        raise ApiProblem(
            503,
            "projections-lagging",
            "The read models are behind",
            f"the read models are {lag} events behind (bound {context.settings.ready_max_lag})",
            headers={"Retry-After": "5"},
            lag=lag,
        )
    body = {"status": "ready", "ledger_position": ledger, "projections_position": projections}
    return JSONResponse({**body, "lag": lag})


@router.get(
    "/metrics",
    dependencies=[Depends(needs(Permission.METRICS))],
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problems(401, 403),
    },
    response_class=Response,
)
def metrics(context: Context) -> Response:
    """Prometheus metrics: request latency, writes, projection lag (admin credential)."""
    return Response(context.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
