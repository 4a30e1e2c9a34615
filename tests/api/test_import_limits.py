"""What an uploaded export can cost is bounded: the result keeps the first rejected lines
cut short."""

from __future__ import annotations

import gzip

from tests.api.conftest import Api

from lifeledger.api.records import ImportLog


def test_the_result_keeps_the_first_rejected_lines_cut_short_and_counts_them_all(
    api: Api,
) -> None:
    rejected = ImportLog.REPORT_LIMIT + 500
    long_entry = b'{"kind": "birth", "note": "' + b"x" * 6000 + b'"}\n'
    body = long_entry + b'{"kind": "birth"}\n' * (rejected - 1)
    response = api.approver.post(
        "/v1/imports", content=gzip.compress(body), headers={"Content-Type": "application/gzip"}
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["counts"]["rejected"] == result["counts"]["lines"] == rejected
    assert len(result["report"]) == ImportLog.REPORT_LIMIT
    first, second = result["report"][:2]
    assert first["entry_truncated"] is True
    assert first["entry"] == long_entry.decode()[: ImportLog.ENTRY_LIMIT]
    assert second["entry"] == {"kind": "birth"} and "entry_truncated" not in second
