"""Import register exports (JSON Lines, gzip, CSV): read, check, sort by fact date, save in
batches (the pipeline: ADR 6).

Every line ends as accepted (recorded; without an approver: staged) / duplicate / rejected /
conflict; a re-run after a crash finds what was saved as duplicates and goes on. An export is
untrusted input, so what it can cost is bounded: a line longer than
`Settings.import_max_line_bytes` is rejected without ever being held whole, an upload may
hold at most `max_inflated_bytes` once decompressed, and memory stays flat whatever the size.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lifeledger.collector import rare_collections
from lifeledger.commands.decisions import CONFLICT, REJECTED, Outcome, OutcomeStatus
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.acts import Act, is_whole_number
from lifeledger.domain.errors import InvalidEntry, LineTooLong
from lifeledger.domain.jurisdiction import Provinces
from lifeledger.importers.scans import Scans
from lifeledger.importers.validation import (
    Checked,
    Line,
    Rejection,
    check_all,
    rejection,
    unpack_act,
)
from lifeledger.ledger import Ledger

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

STATUSES = tuple(status.value for status in OutcomeStatus)  # plain text: they key JSON counts
UNREAD = "?"
"""The province of a line that could not be read as an act: any, as far as anyone knows."""
"""What becomes of a line: recorded (`accepted`) or, without an approver, `staged` for one."""
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    """The counts of an import; they add up to the number of lines."""

    lines: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    provinces: set[str] = field(default_factory=set)
    """The provinces of the offices its lines name (`UNREAD`: a line that was no act)."""

    def as_dict(self) -> dict[str, int]:
        return {"lines": self.lines, **self.counts}


class Report:
    """Where rejected and conflicting lines go with their reasons: written whole, one JSON
    object per line, to `stream` (if any), so they can be fixed and imported again."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def add(self, rejected: Rejection) -> None:
        if self.stream is not None:
            self.stream.write(rejected.to_json() + "\n")


def import_files(
    ledger: Ledger,
    paths: list[Path],
    *,
    approve_as: str | None = None,
    entered_by: str = "import",
    report: IO[str] | Report | None = None,
    progress: Progress | None = None,
    provinces: Provinces = frozenset(),
    check_scans: bool = False,
    max_inflated_bytes: int | None = None,
    batch_id: str | None = None,
    typed_by: str | None = None,
) -> ImportSummary:
    """Import register exports into the ledger: recorded at once when `approve_as` names the
    approving user, else staged by `entered_by` for a second user's approval.

    `provinces`: the importing user's (empty: national); a line of an office outside them is
    rejected by the ledger (`outside-jurisdiction`) before anything is looked up.
    `check_scans`: look for each line's scanned page beside its export and check its hash
    (the CLI; never for an upload, see `scans`). `max_inflated_bytes`: the most an export may
    hold once decompressed (`ExportTooLarge`). `batch_id`: the import its staged entries
    come from (their `import_id`); `typed_by`: the typist of lines that name none (kept with
    the entry as information: who typed a line is not part of the act)."""
    summary = ImportSummary()
    out = report if isinstance(report, Report) else Report(report)
    scans = Scans.beside_exports(ledger.settings.database_url) if check_scans else Scans()
    reader = _Reader(ledger.settings.import_max_line_bytes, max_inflated_bytes)
    with (
        tempfile.TemporaryDirectory(prefix="lifeledger-import-") as tmp,
        rare_collections(),
        ledger.importing(),
    ):
        staging = _SortedLines(Path(tmp) / "lines.db")
        for chunk in check_all(reader.lines(paths), ledger.settings.import_workers, scans):
            summary.lines += len(chunk)
            for rejected in (c.rejected for c in chunk if c.rejected is not None):
                summary.counts[REJECTED] += 1
                summary.provinces.add(rejected.province or UNREAD)
                out.add(rejected)
            staging.add(chunk)
        total, done = staging.count(), 0
        for batch in staging.batches(ledger.settings.import_batch_size):
            acts = [act for act, _ in batch]
            summary.provinces.update(act.reference.province for act in acts)
            for act in acts if typed_by else ():
                act.content.setdefault("entered_by", typed_by)
            saved = _save(ledger, acts, approve_as, entered_by, provinces, batch_id=batch_id)
            for (act, line), outcome in zip(batch, saved, strict=True):
                summary.counts[outcome.status] += 1
                if outcome.error is not None and outcome.status in (REJECTED, CONFLICT):
                    out.add(rejection(line, outcome.status, outcome.error, _json(act.content)))
            done += len(batch)
            if progress:
                progress(done, total)
        staging.close()
    return summary


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _save(
    ledger: Ledger,
    acts: list[Act],
    approve_as: str | None,
    entered_by: str,
    provinces: Provinces,
    batch_id: str | None,
) -> list[Outcome]:
    if approve_as is None:
        stager = Recorder(entered_by, "operator", provinces=provinces)
        return ledger.stage_many(acts, stager, batch_id)
    recorder = Recorder(
        approve_as,
        role="approver",
        source="digitized",
        entered_by=entered_by,
        approves=True,
        provinces=provinces,
    )
    return ledger.record_many(acts, recorder)


class _SortedLines:
    """An on-disk table of validated lines, read back in the order the rules are applied."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE lines (key TEXT, path TEXT, number INTEGER, act BLOB)")

    def add(self, checked: list[Checked]) -> None:
        """Store the checked lines that hold an act (the others were rejected)."""
        rows = [(c.key, c.path, c.number, c.packed) for c in checked if c.rejected is None]
        self.db.executemany("INSERT INTO lines VALUES (?, ?, ?, ?)", rows)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM lines").fetchone()[0])

    def batches(self, size: int) -> Iterator[list[tuple[Act, Line]]]:
        self.db.execute("CREATE INDEX lines_key ON lines (key, path, number)")
        cursor = self.db.execute("SELECT path, number, act FROM lines ORDER BY key, path, number")
        while rows := cursor.fetchmany(size):
            yield [(unpack_act(act), Line(path, number, "")) for path, number, act in rows]

    def close(self) -> None:
        self.db.close()


UNREADABLE = (UnicodeDecodeError, OSError, EOFError, zlib.error, csv.Error)
"""What reading an export that is not UTF-8 text, or whose gzip is broken, raises."""


class UnreadableExport(ValueError):
    """An export that cannot be read to its end, whose CSV header is malformed or that holds a
    CSV line longer than the limit: the import stops before saving anything (every line is
    read and checked before the first is saved)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


class ExportTooLarge(ValueError):
    """An export holding more than `limit` bytes once decompressed: the import stops before
    saving anything."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"{path}: more than {limit} bytes once decompressed")
        self.path, self.limit = path, limit


Binary = gzip.GzipFile | io.BufferedReader
SKIP = 1 << 16
"""Characters read at a time while skipping the rest of a line that is too long."""


@dataclass(frozen=True)
class _Reader:
    """Reads exports line by line, never holding more than about `max_line` bytes of a line,
    nor reading more than `max_inflated` bytes of a file (when given)."""

    max_line: int
    max_inflated: int | None = None

    def lines(self, paths: list[Path]) -> Iterator[Line]:
        for path in paths:
            try:
                with self._open(path) as stream:
                    if path.name.endswith(".csv") or path.name.endswith(".csv.gz"):
                        yield from self._csv(path, stream)
                    else:
                        yield from self._jsonl(path, stream)
            except UNREADABLE as error:
                raise UnreadableExport(
                    path, f"cannot be read as UTF-8 JSON Lines or CSV (gzip allowed): {error}"
                ) from error

    def _open(self, path: Path) -> IO[str]:
        binary = _open_binary(path)
        if self.max_inflated is not None:
            binary = io.BufferedReader(_Counted(binary, path, self.max_inflated), SKIP)
        return io.TextIOWrapper(binary, encoding="utf-8-sig")

    def _physical(self, stream: IO[str]) -> Iterator[str | None]:
        """Each line of `stream` with its end, or None for a line longer than `max_line`
        bytes, of which no more than that is read at once (the rest is skipped in pieces)."""
        limit, readline = self.max_line, stream.readline
        surely_within = limit // 4  # characters: at most 4 bytes each
        while line := readline(limit + 1):
            if len(line) <= surely_within:
                yield line
                continue
            ended = line[-1] == "\n"
            length = len(line) - ended
            if length > limit or len(line.encode()) - ended > limit:
                while not ended and (piece := stream.readline(SKIP)):
                    ended = piece[-1] == "\n"
                yield None
            else:
                yield line

    def _jsonl(self, path: Path, stream: IO[str]) -> Iterator[Line]:
        """One line per entry; a byte order mark at a line's start is dropped too (files
        written with one and joined end to end carry it inside)."""
        for number, text in enumerate(self._physical(stream), start=1):
            if text is None:
                too_long = LineTooLong(
                    f"line {number}: longer than {self.max_line} bytes; not read",
                    limit=self.max_line,
                )
                yield Line(str(path), number, "", too_long)
            elif entry := text.strip().lstrip("\ufeff"):
                yield Line(str(path), number, entry)

    def _csv(self, path: Path, stream: IO[str]) -> Iterator[Line]:
        """CSV with dotted column names (`child.pin`, `spouses.0.pin`): one nested entry per
        row. A header that names a column twice, or a column and another inside it (`child`
        and `child.pin`), makes the file unreadable, and so does a line longer than
        `max_line` (a row cannot be skipped safely: a quote may open a value over several
        lines); a row with more values than the header has columns is rejected (a comma
        left unquoted shifts its values)."""
        reader = csv.DictReader(self._csv_lines(path, stream))
        columns = list(reader.fieldnames or [])
        _check_header(path, columns)
        for number, row in enumerate(reader, start=2):
            extra = row.pop(None, None)  # values beyond the header's columns
            entry: dict[str, Any] = {}
            for column, value in row.items():
                if column and value not in (None, ""):
                    _put(entry, column.split("."), _csv_value(column, value))
            text = json.dumps(_lists(entry), ensure_ascii=False)
            problem = None
            if extra:
                values = len(columns) + len(extra)
                problem = InvalidEntry(f"line {number}: {values} values for {len(columns)} columns")
            yield Line(str(path), number, text, problem)

    def _csv_lines(self, path: Path, stream: IO[str]) -> Iterator[str]:
        for number, text in enumerate(self._physical(stream), start=1):
            if text is None:
                raise UnreadableExport(path, f"line {number} is longer than {self.max_line} bytes")
            yield text


def _open_binary(path: Path) -> Binary:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


class _Counted(io.RawIOBase):
    """A binary stream that gives at most `limit` bytes of `inner`: reading beyond raises
    `ExportTooLarge` (a small gzip may inflate to anything)."""

    def __init__(self, inner: Binary, path: Path, limit: int) -> None:
        self.inner, self.path, self.limit, self.count = inner, path, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        read = self.inner.readinto(buffer)
        self.count += read
        if self.count > self.limit:
            raise ExportTooLarge(self.path, self.limit)
        return read

    def close(self) -> None:
        self.inner.close()
        super().close()


def _check_header(path: Path, columns: list[str]) -> None:
    named = [c for c in columns if c]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise UnreadableExport(path, f"the header names column {twice[0]!r} more than once")
    for column in named:
        inner = next((c for c in named if c.startswith(column + ".")), None)
        if inner is not None:
            raise UnreadableExport(
                path, f"the header has a column {column!r} and a column {inner!r} inside it"
            )


_INTEGER_COLUMNS = ("page", "birth_year")


def _csv_value(column: str, value: str) -> Any:
    if column.rsplit(".", 1)[-1] in _INTEGER_COLUMNS and is_whole_number(value, 18):
        return int(value)
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _put(node: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _lists(node: Any) -> Any:
    """Objects whose keys are 0, 1, … (from `spouses.0.pin`) become lists."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isascii() and k.isdigit() for k in converted):  # not "²"
        return [converted[k] for k in sorted(converted, key=int)]
    return converted
