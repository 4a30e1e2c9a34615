"""Bounded request bodies: a request whose body is larger than the limit is answered 413
`body-too-large` before any of it is parsed, and without reading more of it than the limit.

It counts the bytes as they arrive (a chunked body has no Content-Length to trust, and a
declared one may lie), so neither a long body nor one of millions of keys can hold more
than the limit in memory. A pure ASGI middleware: the body it read is handed on as is.
Paths it is not given (the import, which streams its larger upload to a file) are passed
through untouched."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lifeledger.api import problems

CODE = "body-too-large"


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, exempt: frozenset[str]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: there is no one to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = problems.problem(
            413,
            CODE,
            "The request body is too large",
            f"body: larger than {self.max_bytes} bytes",
            field="body",
            limit=self.max_bytes,
        )
        # The rest of the body is never read: the connection cannot carry another request.
        await problems.response(body, {"Connection": "close"})(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, as one message; then the client's own messages (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
