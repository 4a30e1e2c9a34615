"""The import log: what became of each `POST /v1/imports`, its counts and its rejected lines
(table `api_import`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lifeledger.api.timestamps import now
from lifeledger.database import ViewDatabase
from lifeledger.domain.canonical import check_storable
from lifeledger.domain.errors import InvalidEntry
from lifeledger.importers.validation import Rejection
from lifeledger.jsoncodec import dumps_unsorted, loads


class ImportLog:
    """What became of each `POST /v1/imports`: counts and the rejected lines' reasons (the
    first `REPORT_LIMIT` of them, each entry cut to `ENTRY_LIMIT` characters of its text)."""

    REPORT_LIMIT = 1000
    ENTRY_LIMIT = 4096

    @classmethod
    def record(cls, rejected: Rejection, filename: str | None) -> dict[str, Any]:
        """A rejected line as the import's result keeps it: its entry as a JSON value when
        its text is short, else the text's start with `entry_truncated`."""
        record: dict[str, Any] = {
            "status": rejected.status,
            "path": filename,
            "line": rejected.line,
            "code": rejected.code,
            "reason": rejected.reason,
            "field": rejected.field,
            "entry": rejected.entry,
        }
        if len(rejected.entry) > cls.ENTRY_LIMIT:
            record.update(entry=rejected.entry[: cls.ENTRY_LIMIT], entry_truncated=True)
            return record
        try:
            entry = loads(rejected.entry)
            check_storable(entry)
        except (ValueError, InvalidEntry):
            return record  # what a JSON answer cannot carry (NaN, a lone surrogate) stays text
        record["entry"] = entry
        return record

    def __init__(self, db: ViewDatabase) -> None:
        self.db = db

    def start(
        self,
        import_id: str,
        user: str,
        filename: str | None,
        approve_as: str | None,
        entered_by: str | None,
    ) -> None:
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "INSERT INTO api_import (import_id, user_name, filename, approve_as, entered_by, "
                "status, counts, report, started_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (import_id, user, filename, approve_as, entered_by, "running", "{}", "[]", now()),
            )

    def finish(
        self,
        import_id: str,
        status: str,
        counts: dict[str, int],
        report: list[dict[str, Any]],
        position: int | None = None,
        provinces: Iterable[str] = (),
    ) -> None:
        """Keep the import's result; `position` is the ledger's once it was written,
        `provinces` those of the offices its lines name (who else may read it)."""
        with self.db.transaction(lock=True) as tx:
            tx.execute(
                "UPDATE api_import SET status = %s, counts = %s, report = %s, finished_at = %s, "
                "position = %s, provinces = %s WHERE import_id = %s",
                (
                    status,
                    dumps_unsorted(counts),
                    dumps_unsorted(report[: self.REPORT_LIMIT]),
                    now(),
                    position,
                    ",".join(sorted(provinces)),
                    import_id,
                ),
            )

    def get(self, import_id: str) -> dict[str, Any] | None:
        row = self.db.row("SELECT * FROM api_import WHERE import_id = %s", (import_id,))
        if row is None:
            return None
        return {
            "id": row["import_id"],
            "user": row["user_name"],
            "filename": row["filename"],
            "approve_as": row["approve_as"],
            "entered_by": row["entered_by"],
            "status": row["status"],
            "counts": loads(row["counts"]),
            "report": loads(row["report"]),
            "started_at": row["started_at"],
            "finished_at": row["finished_at"],
            "position": row["position"],
            "provinces": row["provinces"].split(",") if row["provinces"] else None,
        }
