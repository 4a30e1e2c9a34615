"""An export's lines are bounded on the CLI too: a line longer than
`LIFELEDGER_IMPORT_MAX_LINE_BYTES` is rejected by its number without being held (a CSV file
holding one is unreadable), and the report keeps every other rejected line whole."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lifeledger.importers.register import UnreadableExport, import_files
from lifeledger.importers.validation import CHUNK, Line, _chunks
from lifeledger.ledger import Ledger
from tests.builders import a_birth, a_pin
from tests.integration.test_cli import lifeledger

LIMIT = 4096


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_line_longer_than_the_limit_is_rejected_and_other_rejected_lines_are_reported_whole(
    database_url: str, tmp_path: Path, suffix: str
) -> None:
    valid = json.dumps(a_birth(a_pin("M", 1990), "1990-01-01"), ensure_ascii=False)
    long_but_allowed = json.dumps({"kind": "birth", "note": "ệ" * 1300}, ensure_ascii=False)
    assert 3 * 1300 < len(long_but_allowed.encode()) <= LIMIT
    too_long = json.dumps({"kind": "birth", "note": "a" * 5 * LIMIT})
    text = "\n".join([valid, too_long, long_but_allowed, too_long + "\r" + valid]) + "\n"
    export = tmp_path / f"export{suffix}"
    export.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    report = tmp_path / "report.jsonl"

    done = lifeledger(
        database_url, "import", str(export), "--approve-as", "ap-1", "--report", str(report),
        "--json", import_max_line_bytes=str(LIMIT),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    counts = json.loads(done.stdout)
    assert counts == {
        "lines": 5,
        "accepted": 1,
        "staged": 0,
        "duplicate": 1,
        "rejected": 3,
        "conflict": 0,
    }
    reported = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["line"], r["code"], r["entry"]) for r in reported] == [
        (2, "line-too-long", None),
        (3, "invalid-entry", json.loads(long_but_allowed)),
        (4, "line-too-long", None),
    ]
    assert reported[0]["reason"] == f"line 2: longer than {LIMIT} bytes; not read"


def test_a_csv_line_longer_than_the_limit_makes_the_file_unreadable(
    ledger: Ledger, tmp_path: Path
) -> None:
    settings = ledger.settings.model_copy(update={"import_max_line_bytes": LIMIT})
    bounded = Ledger(settings)
    export = tmp_path / "export.csv"
    export.write_text("kind,child.full_name\nbirth,An\nbirth," + "B" * LIMIT + "\n")
    try:
        with pytest.raises(UnreadableExport, match=f"line 3 is longer than {LIMIT} bytes"):
            import_files(bounded, [export], approve_as="ap-1")
        assert bounded.position() == 0
    finally:
        bounded.close()


def test_the_lines_sent_to_a_worker_are_bounded_in_characters_as_well_as_in_number() -> None:
    """A chunk ends at 1,000 lines or once it holds 8 MiB of text."""
    long = [Line("x.jsonl", n, "a" * (3 << 20)) for n in range(10)]
    assert [len(chunk) for chunk in _chunks(long)] == [3, 3, 3, 1]
    short = [Line("x.jsonl", n, "{}") for n in range(2 * CHUNK + 1)]
    assert [len(chunk) for chunk in _chunks(short)] == [CHUNK, CHUNK, 1]
