"""A scan named by an uploaded line is never opened by the server: no file's hash is ever
answered, a missing file and an existing one answer alike, and the server's own SQLite locks
survive lines that name its database (opening and closing any descriptor of a file drops a
process's POSIX locks on it)."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import Api, api_settings, import_recorded, running_api
from tests.builders import a_birth, a_pin

STATED = "ab" * 32
"""The hash every line states: the only 64-digit hex an answer may hold."""


def with_scan(path: str) -> dict[str, Any]:
    entry = a_birth(a_pin(), "1990-01-01")
    entry["source"]["scan"] = {"path": path, "sha256": STATED}
    return entry


def upload(api: Api, *entries: dict[str, Any]) -> dict[str, Any]:
    export = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode()
    result = import_recorded(
        api, api.approver, api.approver2, files={"file": ("scans.jsonl", export)}
    )
    assert set(re.findall(r"[0-9a-f]{64}", json.dumps(result))) <= {STATED}
    return result


LIFELONG = {"": ("1073741826", "1073742335"), "-shm": ("128", "128")}
"""The byte ranges an open SQLite connection in WAL mode keeps locked as long as it is open
(the database's shared range; the shared memory's "dead man switch"), by file suffix; the
others come and go with the transactions the server's threads run."""


def lifelong_locks(database: str, suffix: str) -> list[str]:
    """This process's lifelong POSIX locks on a file of the database (Linux's /proc/locks)."""
    inode = os.stat(database + suffix).st_ino
    held = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        mine = fields[1] == "POSIX" and fields[4] == str(os.getpid())
        on_file = fields[5].rsplit(":", 1)[1] == str(inode)
        if mine and on_file and tuple(fields[6:8]) == LIFELONG[suffix]:
            held.append(" ".join(fields[1:]))
    return sorted(held)


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[Api]:
    yield from running_api(api_settings(f"sqlite:///{tmp_path}/ledger.db"))


def test_the_servers_sqlite_locks_survive_lines_naming_its_database(
    sqlite_api: Api, tmp_path: Path
) -> None:
    database = str(tmp_path / "ledger.db")
    companions = [database, database + "-shm"]
    before = {suffix: lifelong_locks(database, suffix) for suffix in LIFELONG}
    assert all(before.values())  # the server holds them on both files
    link = tmp_path / "innocent.jpg"
    link.symlink_to(database)
    descriptors = [
        f"/proc/self/fd/{fd}"
        for fd in map(int, os.listdir("/proc/self/fd"))
        if os.path.realpath(f"/proc/self/fd/{fd}") in companions
    ]
    assert descriptors
    upward = "../" + os.path.relpath(database, tempfile.gettempdir())  # from the upload's folder
    named = [database, database + "-shm", database + "-wal", upward, str(link), *descriptors]
    result = upload(sqlite_api, *(with_scan(path) for path in named))
    assert result["counts"]["accepted"] == len(named), result["report"]
    after = {suffix: lifelong_locks(database, suffix) for suffix in LIFELONG}
    assert after == before


def test_no_file_named_as_a_scan_is_read_or_told_apart_from_a_missing_one(api: Api) -> None:
    """Before, /etc/passwd's hash came back in the refusal and a missing file was accepted:
    both told what the server can read."""
    named = ["/etc/passwd", "/proc/self/environ", "../../../../etc/shadow", "/no/such/file"]
    results = [upload(api, with_scan(path)) for path in named]
    assert [r["counts"] for r in results] == [
        {"lines": 1, "accepted": 1, "staged": 0, "duplicate": 0, "rejected": 0, "conflict": 0}
    ] * len(named)
    assert all(r["report"] == [] for r in results)
