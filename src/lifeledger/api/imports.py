"""Running an uploaded register export through the importer and keeping its result, and
finding which provinces it writes to (a provincial user may import only its own provinces'
registers). The result keeps the exact counts and the first rejected lines, each cut to a
few KiB, so that its memory does not grow with the upload.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lifeledger.api.answers import Answer
from lifeledger.api.context import ApiContext
from lifeledger.api.problems import ApiProblem
from lifeledger.api.records import ImportLog
from lifeledger.api.schemas.common import check_json
from lifeledger.auth import Principal
from lifeledger.domain.jurisdiction import office_province
from lifeledger.importers.register import (
    UNREADABLE,
    Report,
    UnreadableExport,
    import_files,
)
from lifeledger.importers.validation import Rejection

SUFFIXES = (".jsonl.gz", ".csv.gz", ".jsonl", ".csv", ".json", ".gz")
CONTENT_TYPES = {
    "text/csv": ".csv",
    "application/gzip": ".jsonl.gz",
    "application/x-gzip": ".jsonl.gz",
}


def suffix_for(filename: str | None, content_type: str | None) -> str:
    """The importer picks the reader by the file name; keep a known suffix."""
    name = (filename or "").lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return ".jsonl.gz" if suffix == ".gz" else suffix
    media = (content_type or "").split(";")[0].strip().lower()
    return CONTENT_TYPES.get(media, ".jsonl")


class KeptReport(Report):
    """The rejected lines an import's result keeps: the first `ImportLog.REPORT_LIMIT`, as
    `ImportLog.record` holds them (under the upload's file name); the others only count."""

    def __init__(self, filename: str | None) -> None:
        super().__init__()
        self.filename = filename
        self.records: list[dict[str, object]] = []

    def add(self, rejected: Rejection) -> None:
        if len(self.records) < ImportLog.REPORT_LIMIT:
            self.records.append(ImportLog.record(rejected, self.filename))


def _open(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def _registers(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, `register` part) of each line that has one; the importer reports the rest.
    Reading it all also proves the file is readable text."""
    with _open(path) as stream:
        if ".csv" in path.name:
            for number, row in enumerate(csv.DictReader(stream), start=2):
                yield (
                    number,
                    {
                        "authority": row.get("register.authority"),
                        "province": row.get("register.province"),
                    },
                )
            return
        for number, text in enumerate(stream, start=1):
            try:
                entry = json.loads(text) if text.strip() else None
            except ValueError:
                continue  # the importer reports it as rejected
            except RecursionError as error:
                raise _unreadable(f"line {number}: nested too deeply") from error
            if not isinstance(entry, dict):
                continue
            try:
                check_json(entry, f"line {number}")
            except ValueError as error:
                raise ApiProblem(
                    422,
                    "unstorable-entry",
                    "The export holds an entry the store cannot keep",
                    str(error),
                    field="file",
                ) from error
            if isinstance(entry.get("register"), dict):
                yield number, entry["register"]


def inspect(path: Path, user: Principal) -> None:
    """Refuse a file that is not readable text (422) or that writes to a province outside
    the user's jurisdiction (403, naming the first such line)."""
    try:
        for number, register in _registers(path):
            province = office_province(str(register.get("authority") or ""))
            if province and not user.covers(province):
                raise ApiProblem(
                    403,
                    "outside-jurisdiction",
                    "Outside the user's jurisdiction",
                    f"line {number}: province {province} is outside {user.name}'s provinces "
                    f"({', '.join(sorted(user.provinces))})",
                    province=province,
                )
    except UNREADABLE as error:
        raise _unreadable(f"file: not UTF-8 JSON Lines or CSV (gzip allowed): {error}") from error


def _unreadable(detail: str) -> ApiProblem:
    return ApiProblem(422, "unreadable-export", "The export cannot be read", detail, field="file")


def run_import(
    context: ApiContext,
    user: Principal,
    path: Path,
    filename: str | None,
    approve_as: str | None,
    entered_by: str,
) -> Answer:
    """Import the file (staged, or recorded at once when approved) and keep its result."""
    import_id = uuid.uuid4().hex
    context.imports.start(import_id, user.name, filename, approve_as, entered_by)
    report = KeptReport(filename)
    try:
        summary = import_files(
            context.ledger,
            [path],
            approve_as=approve_as,
            # The user who stages the lines is the one authenticated, whatever they say.
            entered_by=entered_by if approve_as else user.name,
            report=report,
            provinces=user.provinces,
        )
    except UnreadableExport as error:  # not UTF-8 text, a broken gzip, a malformed CSV header
        context.imports.finish(import_id, "failed", {}, [])
        raise _unreadable(f"{filename or 'file'}: {error.reason}") from error
    except Exception:
        context.imports.finish(import_id, "failed", {}, [])
        raise
    # The ledger's position once the import is written: a read with this `min_position`
    # sees every line it recorded or staged.
    position = context.ledger.position()
    context.imports.finish(import_id, "done", summary.as_dict(), report.records, position)
    report.records.clear()  # let them go before they are read back for the answer
    for status, count in summary.counts.items():
        if count:
            context.metrics.writes.labels("import", status).inc(count)
    found = context.imports.get(import_id)
    assert found is not None
    return Answer(201, found)
