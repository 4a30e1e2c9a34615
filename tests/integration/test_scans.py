"""`lifeledger import` looks for a line's scanned page inside the export's own folder only:
absolute paths, `..`, symlinks leading out, anything but a regular file and the ledger's own
database files are refused (naming `source.scan.path`); a scan beside the export is hashed
and must match; a scan that is not there is not checked."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from lifeledger.importers.validation import CHUNK
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from tests.builders import a_birth, a_pin
from tests.integration.test_cli import lifeledger

PAGE = b"\xff\xd8 a scanned register page \xff\xd9"


def with_scan(path: str, sha256: str = "ab" * 32) -> dict[str, Any]:
    entry = a_birth(a_pin(), "1990-01-01")
    entry["source"]["scan"] = {"path": path, "sha256": sha256}
    return entry


def folder_with_scans(folder: Path, database: Path | None) -> dict[str, str]:
    """Files and links beside the export; returns what each scan path should come to:
    "path" (refused, naming the path), "sha256" (refused: wrong hash) or "accepted"."""
    scans = folder / "scans"
    scans.mkdir()
    (scans / "p042.jpg").write_bytes(PAGE)
    (folder.parent / "outside.jpg").write_bytes(PAGE)
    (scans / "out.jpg").symlink_to("/etc/passwd")
    (scans / "up.jpg").symlink_to(folder.parent / "outside.jpg")
    (scans / "etc").symlink_to("/etc")
    os.mkfifo(scans / "pipe.jpg")
    expected = {
        "/etc/passwd": "path",
        str(scans / "p042.jpg"): "path",  # absolute, even inside the folder
        "../outside.jpg": "path",
        "scans/../../outside.jpg": "path",
        "scans/../scans/p042.jpg": "path",  # no `..` at all
        "scans/out.jpg": "path",
        "scans/up.jpg": "path",
        "scans/etc/passwd": "path",
        "scans": "path",
        "scans/pipe.jpg": "path",
        "scans/p042.jpg": "sha256",
        "scans/missing.jpg": "accepted",
    }
    if database is not None:  # the ledger's own files, by name, link or hard link
        (scans / "ledger.jpg").symlink_to(database)
        os.link(database, folder / "copy.db")
        for name in (database.name, database.name + "-wal", database.name + "-shm"):
            expected[name] = "path"
        expected.update({"scans/ledger.jpg": "path", "copy.db": "path"})
    return expected


@pytest.mark.parametrize("filler", [0, CHUNK], ids=["checked-here", "checked-by-workers"])
def test_scans_are_looked_for_only_inside_the_exports_folder(
    database_url: str, tmp_path: Path, filler: int
) -> None:
    Ledger(Settings(database_url=database_url)).close()  # the database file exists
    database = tmp_path / "ledger-0.db" if database_url.startswith("sqlite") else None
    expected = folder_with_scans(tmp_path, database)
    right = with_scan("scans/p042.jpg", hashlib.sha256(PAGE).hexdigest().upper())
    right["register"]["number"] += "-right"  # the same page, another act
    entries = [with_scan(path) for path in expected] + [right]
    export = tmp_path / "export.jsonl"
    lines = ["{not json"] * filler + [json.dumps(e, ensure_ascii=False) for e in entries]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.jsonl"

    done = lifeledger(
        database_url, "import", str(export), "--approve-as", "ap-1", "--report", str(report),
        "--json",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # lines were rejected
    found = {
        r["entry"]["source"]["scan"]["path"]: r
        for r in map(json.loads, report.read_text().splitlines())
        if isinstance(r["entry"], dict)
    }
    outcomes = {path: found[path]["field"].rsplit(".", 1)[1] if path in found else "accepted"
                for path in expected}  # fmt: skip
    assert outcomes == expected
    for path, outcome in expected.items():
        if outcome == "path":
            assert found[path]["reason"].startswith(f"source.scan.path: {path!r}")
    assert hashlib.sha256(PAGE).hexdigest() in found["scans/p042.jpg"]["reason"]
    counts = json.loads(done.stdout)
    assert counts["accepted"] == list(expected.values()).count("accepted") + 1  # the right hash
