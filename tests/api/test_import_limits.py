"""What an uploaded export can cost is bounded: a line longer than the limit is rejected
unread (a CSV file holding one is refused), an export inflating past the limit is a 413, the
result keeps the first rejected lines cut short, and the server's memory stays flat while it
reads a small gzip that inflates to hundreds of MB, or many MB of rejected lines."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.conftest import (
    Api,
    Caller,
    api_settings,
    is_problem,
    jsonl,
    make_users,
    running_api,
)
from tests.builders import a_birth, a_pin

from lifeledger.api.app import create_app
from lifeledger.api.import_log import ImportLog

LINE_LIMIT = 8192
INFLATED_LIMIT = 1 << 20


@pytest.fixture
def bounded_api(database_url: str) -> Iterator[Api]:
    settings = api_settings(
        database_url,
        import_max_line_bytes=LINE_LIMIT,
        import_max_inflated_bytes=INFLATED_LIMIT,
    )
    yield from running_api(settings)


def post(caller: Caller, body: bytes, content_type: str = "application/gzip") -> Any:
    return caller.post("/v1/imports", content=body, headers={"Content-Type": content_type})


def nothing_staged(api: Api) -> bool:
    listed = api.approver.get("/v1/entries", params={"status": "pending"})
    assert listed.status_code == 200, listed.text
    return bool(listed.json()["entries"] == [])


def test_a_line_longer_than_the_limit_is_rejected_unread_and_the_others_go_in(
    bounded_api: Api,
) -> None:
    valid = jsonl(a_birth(a_pin("M", 1990), "1990-01-01"))
    long_line = b'{"kind": "birth", "note": "' + "ệ".encode() * LINE_LIMIT + b'"}\n'
    export = valid + long_line + valid.replace(b"01-01", b"01-02")
    response = post(bounded_api.approver, export, "application/x-ndjson")
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["counts"] == {
        "lines": 3,
        "accepted": 0,
        "staged": 1,
        "duplicate": 0,
        "rejected": 1,
        "conflict": 1,
    }
    too_long = next(r for r in result["report"] if r["code"] == "line-too-long")
    assert too_long["line"] == 2 and too_long["entry"] is None
    assert too_long["reason"] == f"line 2: longer than {LINE_LIMIT} bytes; not read"


def test_a_line_at_the_limit_in_bytes_is_read(bounded_api: Api) -> None:
    entry = a_birth(a_pin("M", 1990), "1990-01-01")
    text = json.dumps(entry, ensure_ascii=False)
    entry["note"] = "ệ" * ((LINE_LIMIT - len(text.encode()) - len(', "note": ""')) // 3)
    line = json.dumps(entry, ensure_ascii=False).encode()
    assert LINE_LIMIT - 3 < len(line) <= LINE_LIMIT
    response = post(bounded_api.approver, line + b"\n", "application/x-ndjson")
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["staged"] == 1


def test_a_csv_line_longer_than_the_limit_makes_the_file_unreadable(bounded_api: Api) -> None:
    header = "kind,register.authority,child.full_name\n"
    rows = "birth,034-XA-DONGHOA,An\n" + "birth,034-XA-DONGHOA," + "B" * LINE_LIMIT + "\n"
    response = post(bounded_api.approver, (header + rows).encode(), "text/csv")
    detail = is_problem(response, 422, "unreadable-export")["detail"]
    assert f"line 3 is longer than {LINE_LIMIT} bytes" in detail
    assert nothing_staged(bounded_api)


def test_an_export_inflating_past_the_limit_is_a_413_and_nothing_is_imported(
    bounded_api: Api,
) -> None:
    lines = b"".join(jsonl(a_birth(a_pin("M", 1990), "1990-01-01")) for _ in range(3000))
    assert len(lines) > INFLATED_LIMIT
    response = post(bounded_api.approver, gzip.compress(lines))
    problem = is_problem(response, 413, "export-too-large")
    assert problem["field"] == "file" and str(INFLATED_LIMIT) in problem["detail"]
    assert nothing_staged(bounded_api)


def test_the_result_keeps_the_first_rejected_lines_cut_short_and_counts_them_all(
    bounded_api: Api,
) -> None:
    rejected = ImportLog.REPORT_LIMIT + 500
    long_entry = b'{"kind": "birth", "note": "' + b"x" * 6000 + b'"}\n'
    body = long_entry + b'{"kind": "birth"}\n' * (rejected - 1)
    response = post(bounded_api.approver, gzip.compress(body))
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["counts"]["rejected"] == result["counts"]["lines"] == rejected
    assert len(result["report"]) == ImportLog.REPORT_LIMIT
    first, second = result["report"][:2]
    assert first["entry_truncated"] is True
    assert first["entry"] == long_entry.decode()[: ImportLog.ENTRY_LIMIT]
    assert second["entry"] == {"kind": "birth"} and "entry_truncated" not in second


# The server's memory, read from /proc in a process of its own


MODULE = "tests.api.test_import_limits"
MiB = 1 << 20
GROWTH_LIMIT_MB = 200
LONG_LINE_MB = 512


def _gzip_of_a_long_line(size_mb: int) -> bytes:
    """A gzip of about 1 MB that inflates to a line of `size_mb` MiB, then a valid line (gzip
    members joined end to end are one stream)."""
    block = gzip.compress(b"a" * MiB)
    head = gzip.compress(b'{"kind": "birth", "note": "')
    tail = gzip.compress(b'"}\n' + jsonl(a_birth(a_pin("M", 1990), "1990-01-01")))
    return head + block * size_mb + tail


def _gzip_of_rejected_lines(megabytes: int) -> tuple[bytes, int]:
    """Lines that are all rejected (not an object), each ~8 KiB of nested lists (which take
    twenty times their text's size once parsed)."""
    line = b"[" + b"[]," * 2700 + b"[]]\n"
    count = megabytes * MiB // len(line)
    return gzip.compress(line * count, compresslevel=1), count


def _peak_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


def measure(database_url: str, max_inflated: int) -> None:
    """In a process of its own: the app's answers to a long line and to many rejected lines,
    and how far its peak memory grew over the peak after a first small import."""
    settings = api_settings(database_url, import_max_inflated_bytes=max_inflated)
    keys = make_users(settings)
    long_line = _gzip_of_a_long_line(LONG_LINE_MB)
    rejected, count = _gzip_of_rejected_lines(40)
    with TestClient(create_app(settings)) as client:
        caller = Caller(client, keys["officer"])
        warm_up = jsonl(a_birth(a_pin("F", 1991), "1991-01-01")) + b"{not json\n" * 1500
        assert post(caller, gzip.compress(warm_up)).status_code == 201
        base = _peak_kb()
        first = post(caller, long_line)
        second = post(caller, rejected)
        grown = (_peak_kb() - base) // 1024
    said = {
        "grown_mb": grown,
        "long_line": [first.status_code, first.json()],
        "rejected": [second.status_code, second.json()["counts"], len(second.json()["report"])],
        "count": count,
    }
    print(json.dumps(said))


@pytest.mark.parametrize("max_inflated", [2 << 30, 256 * MiB], ids=["line-too-long", "413"])
def test_the_servers_memory_stays_flat_whatever_an_upload_holds(
    tmp_path: Path, max_inflated: int
) -> None:
    database_url = f"sqlite:///{tmp_path}/ledger.db"
    root = Path(__file__).parents[2]
    command = f"import {MODULE} as t; t.measure({database_url!r}, {max_inflated})"
    done = subprocess.run(
        [sys.executable, "-c", command],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.splitlines()[-1])
    status, answer = said["long_line"]
    if max_inflated > LONG_LINE_MB * MiB:
        assert status == 201, answer
        assert answer["counts"]["rejected"] == 1 and answer["counts"]["staged"] == 1
        assert answer["report"][0]["code"] == "line-too-long"
    else:
        assert status == 413 and answer["code"] == "export-too-large", answer
    status, counts, kept = said["rejected"]
    assert status == 201 and counts["rejected"] == counts["lines"] == said["count"]
    assert kept == ImportLog.REPORT_LIMIT
    assert said["grown_mb"] < GROWTH_LIMIT_MB
