"""Running an uploaded register export through the importer and keeping its result.

The upload is checked by the importer itself, as a file given to the CLI is, with the
uploading user's provinces (a line of another province's office is rejected) and the
upload's bounds (`Settings.import_max_inflated_bytes`). No scan a line names is opened. The
result keeps the exact counts and the first rejected lines, each cut to a few KiB, so that
memory stays flat whatever the upload holds.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from lifeledger.api.answers import Answer
from lifeledger.api.context import ApiContext
from lifeledger.api.import_log import ImportLog
from lifeledger.api.problems import ApiProblem
from lifeledger.auth import Principal
from lifeledger.importers.register import ExportTooLarge, Report, UnreadableExport, import_files
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


def _unreadable(detail: str) -> ApiProblem:
    return ApiProblem(422, "unreadable-export", "The export cannot be read", detail, field="file")


def run_import(
    context: ApiContext,
    user: Principal,
    path: Path,
    filename: str | None,
    typed_by: str | None,
) -> Answer:
    """Stage the file's lines for a second user's approval and keep the import's result. The
    user who stages them is the one authenticated, whatever the lines say (a typist's name
    is kept beside it, for information)."""
    import_id = uuid.uuid4().hex
    context.imports.start(import_id, user.name, filename, None, typed_by)
    report = KeptReport(filename)
    try:
        summary = import_files(
            context.ledger,
            [path],
            entered_by=user.name,
            report=report,
            provinces=user.provinces,
            max_inflated_bytes=context.settings.import_max_inflated_bytes,
            batch_id=import_id,
            typed_by=typed_by,
        )
    except UnreadableExport as error:  # not UTF-8 text, a broken gzip, a malformed CSV header
        context.imports.finish(import_id, "failed", {}, [])
        raise _unreadable(f"{filename or 'file'}: {error.reason}") from error
    except ExportTooLarge as error:
        context.imports.finish(import_id, "failed", {}, [])
        raise ApiProblem(
            413,
            "export-too-large",
            "The export is too large",
            f"file: more than {error.limit} bytes once decompressed; import it with the CLI",
            field="file",
        ) from error
    except Exception:
        context.imports.finish(import_id, "failed", {}, [])
        raise
    # The ledger's position once the import is written: a read with this `min_position`
    # sees every line it recorded or staged.
    position = context.ledger.position()
    context.imports.finish(
        import_id, "done", summary.as_dict(), report.records, position, summary.provinces
    )
    report.records.clear()  # let them go before they are read back for the answer
    for status, count in summary.counts.items():
        if count:
            context.metrics.writes.labels("import", status).inc(count)
    found = context.imports.get(import_id)
    assert found is not None
    return Answer(201, found)
