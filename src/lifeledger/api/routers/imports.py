"""Importing register exports over HTTP, reading what became of an import, and approving it.

`POST /v1/imports` takes the export as a multipart upload (field `file`) or as the raw
body (`application/x-ndjson`, `text/csv`, `application/gzip`); its lines are staged by the
caller for a second user's approval (four-eyes: nothing is recorded by one user over HTTP).
The import runs within the request; its result is kept and can be read again at
`GET /v1/imports/{id}` by the caller, or by an approver or auditor whose provinces cover
every line. `POST /v1/imports/{id}/approve` approves its pending entries at once."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lifeledger.api.answers import Answer, answer_once, fingerprint
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import (
    Approver,
    Context,
    CurrentUser,
    IdempotencyKey,
    Importer,
    MinPosition,
)
from lifeledger.api.import_log import ImportLog
from lifeledger.api.imports import run_import, suffix_for
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import Code, problems
from lifeledger.api.schemas.out import ImportApprovalOut, ImportOut
from lifeledger.auth import Permission, Principal
from lifeledger.commands.decisions import ACCEPTED, CONFLICT, Outcome
from lifeledger.domain.jurisdiction import undisclosed
from lifeledger.importers.register import UNREAD

router = APIRouter(prefix="/v1/imports", tags=["imports"])

CHUNK = 1 << 20
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            # Any text: what it holds is read line by line (unreadable-export otherwise).
            "application/x-ndjson": {"schema": {}},
            "text/csv": {"schema": {}},
        },
    }
}


async def _copy(chunks: Any, path: Path, limit: int) -> str:
    """Write the chunks to `path` (at most `limit` bytes); returns their SHA-256."""
    digest, size = hashlib.sha256(), 0
    async with await anyio.open_file(path, "wb") as out:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise ApiProblem(
                    413,
                    "export-too-large",
                    "The export is too large",
                    f"file: larger than {limit} bytes; import it with the CLI",
                    field="file",
                )
            digest.update(chunk)
            await out.write(chunk)
    if size == 0:
        raise ApiProblem(
            422, "empty-export", "The export is empty", "file: no content", field="file"
        )
    return digest.hexdigest()


async def _upload_chunks(upload: UploadFile) -> Any:
    while chunk := await upload.read(CHUNK):
        yield chunk


async def receive(request: Request, folder: Path, limit: int) -> tuple[Path, str | None, str]:
    """Save the uploaded export; returns (path, the client's file name, SHA-256)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiProblem(
                422,
                "invalid-request",
                "Invalid request",
                "file: required upload is missing",
                field="file",
            )
        path = folder / f"export{suffix_for(upload.filename, upload.content_type)}"
        return path, upload.filename, await _copy(_upload_chunks(upload), path, limit)
    path = folder / f"export{suffix_for(None, content_type)}"
    return path, None, await _copy(request.stream(), path, limit)


@router.post(
    "",
    status_code=201,
    response_model=ImportOut,
    responses=problems(
        401,
        403,
        409,
        413,
        422,
        refusals=(
            "unreadable-export",
            "empty-export",
            "unstorable-entry",
            "idempotency-key-reused",
        ),
    ),
    openapi_extra=UPLOAD_BODY,
)
async def import_export(
    request: Request,
    context: Context,
    user: Importer,
    entered_by: Annotated[
        Code | None,
        Query(description="Typist of lines without `entered_by` (kept for information)"),
    ] = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Import a register export: each line ends accepted, duplicate, rejected or conflict (a
    line registered by an office outside the caller's provinces: rejected,
    `outside-jurisdiction`). The export may hold at most `LIFELEDGER_IMPORT_MAX_INFLATED_BYTES`
    once decompressed (413), a line at most `LIFELEDGER_IMPORT_MAX_LINE_BYTES` (rejected,
    `line-too-long`); a scan a line names is recorded as stated, never opened. Lines are
    staged by the caller; another user approves them (`POST /v1/imports/{id}/approve`)."""
    if "approve_as" in request.query_params:
        raise ApiProblem(
            422,
            "invalid-request",
            "Invalid request",
            "approve_as: an export sent over HTTP is staged by its sender and approved by "
            "another user (POST /v1/imports/{id}/approve)",
            field="approve_as",
        )
    with tempfile.TemporaryDirectory(prefix="lifeledger-upload-") as folder:
        path, filename, digest = await receive(
            request, Path(folder), context.settings.import_max_bytes
        )
        return await run_in_threadpool(
            _import,
            context,
            user,
            key,
            path,
            filename,
            digest,
            entered_by,
        )


def _import(
    context: ApiContext,
    user: Principal,
    key: str | None,
    path: Path,
    filename: str | None,
    digest: str,
    typed_by: str | None,
) -> JSONResponse:
    request = {"sha256": digest, "entered_by": typed_by}
    return answer_once(
        context,
        user,
        key,
        fingerprint("imports", request),
        lambda: run_import(context, user, path, filename, typed_by),
    )


ImportId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]


@router.get(
    "/{import_id}",
    response_model=ImportOut,
    responses=problems(401, 403, 404, 422, 503, refusals=("position-not-reached",)),
)
def read_import(
    import_id: ImportId, context: Context, user: CurrentUser, min_position: MinPosition = None
) -> JSONResponse:
    """The result of an import: its counts, the rejected lines with their reasons, and what
    became of its staged entries so far (as of the import's own position at least)."""
    found = _visible_import(context, user, import_id)
    context.await_position(max(found["position"] or 0, min_position or 0))
    entries = context.projections.entries_of_import(import_id).data
    return JSONResponse({**found, "entries": entries})


def _visible_import(context: ApiContext, user: Principal, import_id: str) -> dict[str, Any]:
    """The import, if the user may read it: the user who sent it, or a user who reads
    entries in every province its lines name. Any other answers as a missing one."""
    found = context.imports.get(import_id)
    named = set(found["provinces"] or (UNREAD,)) if found else set()
    if found is not None and found["user"] != user.name:
        within = user.national or (UNREAD not in named and named <= user.provinces)
        if not (user.may(Permission.READ_ENTRIES) and within):
            found = None
    if found is None:
        raise ApiProblem(404, "import-not-found", "Import not found", f"no import {import_id}")
    return found


@router.post(
    "/{import_id}/approve",
    response_model=ImportApprovalOut,
    responses=problems(401, 403, 404, 409, 422, 503, refusals=("idempotency-key-reused",)),
)
def approve_import(
    import_id: ImportId, context: Context, user: Approver, key: IdempotencyKey = None
) -> JSONResponse:
    """Approve an import's pending entries (those of the approver's provinces) at once, in
    the order the rules are applied: each becomes an act or goes to the conflict queue; one
    this approver may not approve (they staged it) is left pending, with the reason. Any
    approver may approve the entries of their provinces, whoever may read the import."""
    found = context.imports.get(import_id)
    if found is None:
        raise ApiProblem(404, "import-not-found", "Import not found", f"no import {import_id}")

    def approve() -> Answer:
        context.await_position(found["position"])
        pending = context.projections.pending_entry_ids(import_id, user.provinces)
        ids = [UUID(entry) for entry in pending.data]
        outcomes = context.ledger.approve_many(ids, user.name, user.provinces)
        return Answer(200, _approval(context, user, import_id, ids, outcomes))

    return answer_once(context, user, key, fingerprint("approve-import", import_id), approve)


def _approval(
    context: ApiContext,
    user: Principal,
    import_id: str,
    ids: list[UUID],
    outcomes: list[Outcome],
) -> dict[str, Any]:
    counts = {"entries": len(ids), "approved": 0, "conflict": 0, "refused": 0}
    report: list[dict[str, Any]] = []
    for entry, outcome in zip(ids, outcomes, strict=True):
        status = {ACCEPTED: "approved", CONFLICT: "conflict"}.get(outcome.status, "refused")
        counts[status] += 1
        if outcome.error is not None and len(report) < ImportLog.REPORT_LIMIT:
            shown = undisclosed(outcome.error, user.provinces, ())
            report.append(
                {
                    "entry_id": str(entry),
                    "reference": outcome.reference,
                    "status": status,
                    "code": shown.code,
                    "reason": shown.message,
                }
            )
    context.metrics.writes.labels("approval", "approved").inc(counts["approved"])
    position = max((o.position or 0 for o in outcomes), default=0) or context.ledger.position()
    return {"import_id": import_id, "counts": counts, "report": report, "position": position}
