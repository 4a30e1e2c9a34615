"""Hidden baseline routes for `bench/http.py`, on only with `LIFELEDGER_BENCH_ROUTES=1`: one
primary-key SELECT through the same connection pool as the real reads."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from lifeledger.api.deps import Context

router = APIRouter(prefix="/_bench", include_in_schema=False)


@router.get("/select/{pin}")
def one_select(pin: str, context: Context) -> JSONResponse:
    """One primary-key SELECT on the persons table, nothing else."""
    row = context.projections.db.row("SELECT pin, full_name FROM ll_person WHERE pin = %s", (pin,))
    return JSONResponse(row or {"pin": None})
