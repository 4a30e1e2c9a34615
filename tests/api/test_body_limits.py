"""Bounded request bodies: a body over `LIFELEDGER_API_MAX_BODY_BYTES` is answered 413
`body-too-large` naming the limit, before it is parsed and before the rest of it is even
read (a declared Content-Length over the limit, or a chunked body that grows past it), and
nothing is stored. The import keeps its own, larger limit."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from tests.api.conftest import ROUTES, Api, api_settings, body_of, is_problem, make_users
from tests.builders import a_birth

from lifeledger.api.app import create_app

LIMIT = 256 * 1024


def huge_name_birth(size: int) -> bytes:
    birth = body_of(a_birth("034090000001", "1990-01-01"))
    birth["child"]["full_name"] = "A" * size
    return json.dumps(birth).encode()


def many_keys(count: int) -> Iterator[bytes]:
    """A JSON object of `count` keys, in chunks of about 64 kB, never whole in memory."""
    yield b"{"
    for start in range(0, count, 5_000):
        keys = range(start, min(start + 5_000, count))
        yield ",".join(f'"k{k}":0' for k in keys).encode() + (b"," if keys[-1] < count - 1 else b"")
    yield b"}"


def test_a_ten_megabyte_body_is_a_413_naming_the_limit_and_nothing_is_stored(api: Api) -> None:
    before = api.context.ledger.position()
    response = api.officer.post(
        ROUTES["birth"],
        content=huge_name_birth(10 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    problem = is_problem(response, 413, "body-too-large")
    assert problem["limit"] == LIMIT and str(LIMIT) in problem["detail"]
    assert api.context.ledger.position() == before
    is_problem(api.officer.get("/v1/persons/034090000001"), 404, "person-not-found")


def test_a_body_of_two_million_keys_is_a_413(api: Api) -> None:
    before = api.context.ledger.position()
    body = b"".join(many_keys(2_000_000))
    response = api.officer.post(
        ROUTES["birth"], content=body, headers={"Content-Type": "application/json"}
    )
    is_problem(response, 413, "body-too-large")
    assert api.context.ledger.position() == before


def test_a_body_just_under_the_limit_is_read(api: Api) -> None:
    """The limit refuses what is over it, not a large act: a birth with a long `extra`."""
    birth = body_of(a_birth("034090000001", "1990-01-01"))
    birth["extra"] = {f"note{i}": "x" * 1000 for i in range(50)}
    assert len(json.dumps(birth)) < LIMIT
    response = api.officer.post(ROUTES["birth"], json=birth)
    assert response.status_code == 201, response.text


def test_the_import_keeps_its_own_larger_limit(api: Api) -> None:
    line = {**a_birth("034090000002", "1990-01-01"), "note": "x" * (2 * LIMIT)}
    export = (json.dumps(line) + "\n").encode()
    response = api.officer.post("/v1/imports", files={"file": ("export.jsonl", export)})
    assert response.status_code == 201, response.text


def test_the_limit_is_documented_on_every_operation(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], f"{method} {path}"
    births = document["paths"]["/v1/births"]["post"]["responses"]["413"]
    assert str(LIMIT) in births["description"]


# Over a socket: the answer comes before the body has been sent whole.


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The app served by uvicorn on a free port; (port, the callers' keys)."""
    settings = api_settings(database_url)
    keys = make_users(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the server did not start")
        threading.Event().wait(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, keys
    finally:
        server.should_exit = True
        thread.join()


def send_part(port: int, key: str, headers: dict[str, str], parts: Iterator[bytes]) -> Any:
    """Send the request line, the headers and the body's parts until LIMIT * 4 bytes are
    sent (never the whole body); then read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        head = {"Host": "test", "Authorization": f"Bearer {key}", **headers}
        lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
        connection.sendall(f"POST {ROUTES['birth']} HTTP/1.1\r\n{lines}\r\n".encode())
        sent = 0
        for part in parts:
            try:
                connection.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed: what it said is still there to read
            sent += len(part)
            if sent > 4 * LIMIT:
                break
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])


def chunked(parts: Iterator[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"


def test_a_chunked_body_of_two_million_keys_is_answered_before_it_is_read_whole(
    served: tuple[int, dict[str, str]],
) -> None:
    port, keys = served
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    status, problem = send_part(port, keys["officer"], headers, chunked(many_keys(2_000_000)))
    assert status == 413 and problem["code"] == "body-too-large"


def test_a_declared_length_over_the_limit_is_answered_before_the_body_is_read(
    served: tuple[int, dict[str, str]],
) -> None:
    port, keys = served
    size = 10 * 1024 * 1024
    headers = {"Content-Type": "application/json", "Content-Length": str(size)}
    status, problem = send_part(port, keys["officer"], headers, iter([b"{"]))
    assert status == 413 and problem["code"] == "body-too-large"
