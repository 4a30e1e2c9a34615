"""The FastAPI app factory. `create_app(settings)` builds routes and handlers; its lifespan
opens one Ledger and its Projections (followed in a background thread) and closes them at
shutdown, so tests can build as many apps as they like.

Routes are plain `def` functions: the eventsourcing library is synchronous, so they run in
the thread pool and never block the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route

from lifeledger.api import problems
from lifeledger.api.body_limit import BodyLimit
from lifeledger.api.context import ApiContext
from lifeledger.api.metrics import Metrics, MetricsMiddleware
from lifeledger.api.routers import (
    acts,
    audit,
    bench,
    entries,
    events,
    imports,
    ledger,
    ops,
    persons,
    registry,
    subscriptions,
    users,
)
from lifeledger.api.schemas import document
from lifeledger.settings import Settings

DESCRIPTION = """\
An event-sourced ledger of civil status (hộ tịch). Every request but `/healthz` and
`/readyz` needs `Authorization: Bearer <API key>`; errors are RFC 9457 problem documents
whose `type` names the rule; every POST accepts an `Idempotency-Key`; reads carry the
ledger position they reflect (`position`, header `X-Ledger-Position`) and accept
`min_position` to read one's own write.

A request body larger than `LIFELEDGER_API_MAX_BODY_BYTES` is answered 413
`body-too-large` before it is read further (`POST /v1/imports` has its own, larger
limit). A method a path does not have is answered 405 `method-not-allowed`, whose `Allow`
header lists the methods the path has.
"""


def create_app(settings: Settings) -> FastAPI:
    """The HTTP API over the ledger named by `settings`."""
    metrics = Metrics(settings.metrics_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = await run_in_threadpool(ApiContext, settings, metrics)
        context.start()
        app.state.context = context
        try:
            yield
        finally:
            await run_in_threadpool(context.close)

    # Swagger UI and ReDoc served from the package, not a CDN: registry offices often have
    # no internet. No validator badge either (it would call validator.swagger.io).
    app = FastAPIOffline(
        title="lifeledger",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
        swagger_ui_parameters={"validatorUrl": None},
    )
    problems.install(app)
    exempt = frozenset({imports.router.prefix})  # the upload streams to a file, bounded
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes, exempt=exempt)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    routers = [
        m.router for m in (acts, imports, entries, persons, registry, audit, users, events, ops)
    ]
    routers.append(ledger.router)
    routers.append(subscriptions.router)
    if settings.bench_routes:
        routers.append(bench.router)
    for router in routers:
        app.include_router(router)
    app.state.routes = [  # for the `Allow` of a 405 (see problems.allowed_methods)
        *(route for router in routers for route in router.routes),
        *(route for route in app.routes if isinstance(route, Route)),
    ]
    app.openapi = documented(app.openapi, settings.api_max_body_bytes)  # type: ignore[method-assign]
    return app


def documented(
    openapi: Callable[[], dict[str, Any]], max_body_bytes: int
) -> Callable[[], dict[str, Any]]:
    """FastAPI's OpenAPI document, completed once with the answers every route may give."""

    def schema() -> dict[str, Any]:
        return document.complete(openapi(), max_body_bytes)

    return schema


def create_app_from_env() -> FastAPI:
    """The app configured from `LIFELEDGER_*` variables (for `uvicorn --factory`, workers)."""
    return create_app(Settings())
