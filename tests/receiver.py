"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 (a free port) that
records every request it is sent, and answers the first `failing` of them with `status`
(500 by default), the others 204."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self, failing: int = 0, status: int = 500, delay: float = 0.0) -> None:
        self.failing = failing
        self.status = status
        self.delay = delay
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(receiver.delay)
                status = receiver.answer(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            status = self.status if len(self.requests) < self.failing else 204
            self.requests.append(Received(path, headers, body, status))
            return status

    def taken(self) -> list[Received]:
        """The requests answered 2xx, in the order they came."""
        with self._lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def events(self) -> list[dict[str, Any]]:
        """The events taken, each once (a receiver drops repeats by `webhook-id`)."""
        seen: dict[str, dict[str, Any]] = {}
        for request in self.taken():
            seen.setdefault(request.headers["webhook-id"], request.event)
        return list(seen.values())

    def wait_until(self, condition: Callable[[Receiver], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {len(self.requests)} requests")
            time.sleep(0.02)

    def wait_for_events(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        self.wait_until(lambda r: len(r.events()) >= count, timeout)
        return self.events()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def receiving(failing: int = 0, status: int = 500, delay: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(failing, status, delay)
    try:
        yield receiver
    finally:
        receiver.close()
