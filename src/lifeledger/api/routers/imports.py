"""Importing register exports over HTTP, and reading what became of an import.

`POST /v1/imports` takes the export as a multipart upload (field `file`) or as the raw
body (`application/x-ndjson`, `text/csv`, `application/gzip`). Without `approve_as` the
lines are staged for a second user's approval; with it (the caller's own name, and the
caller an approver) they are recorded at once. The import runs within the request; its
result is kept and can be read again at `GET /v1/imports/{id}`."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lifeledger.api.answers import answer_once, fingerprint
from lifeledger.api.context import ApiContext
from lifeledger.api.deps import Context, CurrentUser, IdempotencyKey, Importer, authorize
from lifeledger.api.imports import run_import, suffix_for
from lifeledger.api.problems import ApiProblem
from lifeledger.api.schemas.common import Code, UserName, problems
from lifeledger.api.schemas.out import ImportOut
from lifeledger.auth import Permission, Principal

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
    approve_as: Annotated[
        UserName | None, Query(description="Record at once, approved by this user (the caller)")
    ] = None,
    entered_by: Annotated[
        Code | None, Query(description="Data-entry user of lines without `entered_by`")
    ] = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Import a register export: each line ends accepted, duplicate, rejected or conflict (a
    line registered by an office outside the caller's provinces: rejected,
    `outside-jurisdiction`). The export may hold at most `LIFELEDGER_IMPORT_MAX_INFLATED_BYTES`
    once decompressed (413), a line at most `LIFELEDGER_IMPORT_MAX_LINE_BYTES` (rejected,
    `line-too-long`); a scan a line names is recorded as stated, never opened."""
    if approve_as is not None:
        authorize(user, Permission.APPROVE)
        if approve_as != user.name:
            raise ApiProblem(
                403,
                "forbidden",
                "An approver approves as themself",
                f"approve_as: {user.name} may not approve as {approve_as}",
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
            approve_as,
            entered_by or user.name,
        )


def _import(
    context: ApiContext,
    user: Principal,
    key: str | None,
    path: Path,
    filename: str | None,
    digest: str,
    approve_as: str | None,
    entered_by: str,
) -> JSONResponse:
    request = {"sha256": digest, "approve_as": approve_as, "entered_by": entered_by}
    return answer_once(
        context,
        user,
        key,
        fingerprint("imports", request),
        lambda: run_import(context, user, path, filename, approve_as, entered_by),
    )


@router.get("/{import_id}", response_model=ImportOut, responses=problems(401, 403, 404, 422))
def read_import(
    import_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")],
    context: Context,
    user: CurrentUser,
) -> JSONResponse:
    """The result of an import: its counts and the rejected lines with their reasons."""
    found = context.imports.get(import_id)
    if found is None:
        raise ApiProblem(404, "import-not-found", "Import not found", f"no import {import_id}")
    if found["user"] != user.name:
        authorize(user, Permission.READ_ENTRIES)
    return JSONResponse(found)
