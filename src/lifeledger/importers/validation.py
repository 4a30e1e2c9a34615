"""Checking an export's lines (the import's second stage, ADR 6): each read as JSON, parsed
into an act by every field's rule (`parse_act`) and packed for the sort stage, or turned into
the report's record of why it was rejected.

A file of more than a chunk (`CHUNK` lines or `CHUNK_TEXT` characters) is checked by worker
processes (`Settings.import_workers`, each running `work`), fed in turn and read back in the
same order: what comes out is what checking in the importing process gives, line for line.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import IO

import lifeledger
from lifeledger.collector import rare_collections
from lifeledger.domain.acts import Act, PersonRef, Reference
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import InvalidEntry, InvalidInput, LedgerError
from lifeledger.domain.pin import Pin
from lifeledger.domain.provinces import PROVINCES
from lifeledger.importers.scans import Scans
from lifeledger.jsoncodec import loads

log = logging.getLogger(__name__)

CHUNK = 1000
"""Lines sent to a worker at a time; a file with fewer is checked by the importing process."""
CHUNK_TEXT = 8 << 20
"""Characters of line text that also end a chunk, so that a chunk of long lines stays small
(lines are at most `Settings.import_max_line_bytes` long)."""


@dataclass(frozen=True)
class Line:
    """A line of an export (a CSV row as JSON text); `problem`: why the reader already knows
    it must be rejected (the text is then JSON, or empty when the reader did not keep it)."""

    path: str
    number: int
    text: str
    problem: InvalidInput | None = None


@dataclass(frozen=True)
class Rejection:
    """The report's record of a line that was rejected or conflicts: enough to fix it and
    import it again. `entry` is JSON text: the entry as the line gave it (a JSON string when
    the line is not JSON, null when it was too long to keep), held as text so that a report
    of many lines costs no more than their text."""

    status: str
    path: str
    line: int
    code: str
    reason: str
    field: str | None
    entry: str
    province: str | None = None
    """The province of the office the line names, when it names a known one (who may read
    the report of it)."""

    def to_json(self) -> str:
        """The record as one line of JSON text (the CLI's `--report` file)."""
        head = {
            "status": self.status,
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "reason": self.reason,
            "field": self.field,
        }
        return json.dumps(head, ensure_ascii=False)[:-1] + ', "entry": ' + self.entry + "}"


@dataclass(frozen=True)
class Checked:
    """A line checked: its act's sort key and packed act (see `pack_act`), or, when it is
    rejected, the report's record of why."""

    path: str
    number: int
    key: str = ""
    packed: bytes = b""
    rejected: Rejection | None = None


def rejection(line: Line, status: str, error: LedgerError, entry: str = "null") -> Rejection:
    """The record of a line that was rejected or conflicts; `entry` as JSON text."""
    field = error.facts.get("field")
    return Rejection(
        status, line.path, line.number, error.code, error.message, field and str(field), entry
    )


def check(line: Line, scans: Scans = Scans()) -> Checked:
    """The line parsed into an act, or why it is rejected; `scans`: what may be done with
    the scanned page it names (by default, nothing)."""
    if line.problem is not None:
        return _rejected(line, line.problem, line.text or "null")
    try:
        raw = loads(line.text)
    except json.JSONDecodeError as error:
        invalid = InvalidEntry(f"line {line.number}: not JSON: {error.msg}")
        return _rejected(line, invalid, json.dumps(line.text, ensure_ascii=False))
    try:
        act = parse_act(raw)
        scans.check(act.get("source.scan"), line.path)
    except LedgerError as error:
        # An entry that is no object (a bare `Infinity`) is reported as its text, a string.
        entry = line.text if isinstance(raw, dict) else json.dumps(line.text, ensure_ascii=False)
        return _rejected(line, error, entry, _named_province(raw))
    key = "|".join(str(part) for part in act.sort_key())
    return Checked(line.path, line.number, key, pack_act(act))


def _rejected(line: Line, error: LedgerError, entry: str, province: str | None = None) -> Checked:
    rejected = replace(rejection(line, "rejected", error, entry), province=province)
    return Checked(line.path, line.number, rejected=rejected)


def _named_province(raw: object) -> str | None:
    """The province of the office a rejected entry names, if it names a known one."""
    register = raw.get("register") if isinstance(raw, dict) else None
    authority = register.get("authority") if isinstance(register, dict) else None
    if isinstance(authority, str) and authority[:3] in PROVINCES and authority[3:4] == "-":
        return authority[:3]
    return None


def check_all(
    lines: Iterable[Line], workers: int, scans: Scans = Scans()
) -> Iterator[list[Checked]]:
    """Every line checked, in chunks, in the order of `lines`: by `workers` processes when
    the lines fill a chunk, else here."""
    chunks = _chunks(lines)
    first = next(chunks, [])
    full = len(first) == CHUNK or sum(len(line.text) for line in first) >= CHUNK_TEXT
    pool = _Workers.start(workers) if full else None
    if pool is None:
        for chunk in itertools.chain([first], chunks):
            yield [check(line, scans) for line in chunk]
        return
    yield from pool.check(itertools.chain([first], chunks), scans)


def _chunks(lines: Iterable[Line]) -> Iterator[list[Line]]:
    """The lines in chunks of `CHUNK` lines, or fewer when their text reaches `CHUNK_TEXT`."""
    chunk: list[Line] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line.text)
        if len(chunk) == CHUNK or size >= CHUNK_TEXT:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class WorkerFailed(RuntimeError):
    """A worker process stopped without checking its chunk (its error is on stderr)."""


class _Workers:
    """Worker processes fed in turn by a thread (which also reads the file); their results
    are read in the order the chunks were sent. A worker blocked writing a result is always
    one the importing process reads before any later one, so neither side waits forever."""

    def __init__(self, processes: list[subprocess.Popen[bytes]]) -> None:
        self.processes = processes
        self.sent: queue.SimpleQueue[subprocess.Popen[bytes] | BaseException | None] = (
            queue.SimpleQueue()
        )

    @classmethod
    def start(cls, count: int) -> _Workers | None:
        """`count` workers, or None (none asked for, or none can be started: the importing
        process then checks the lines itself)."""
        path = [str(Path(lifeledger.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
        command = [sys.executable, "-c", f"import {__name__} as v; v.work()"]
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(count):
                processes.append(
                    subprocess.Popen(
                        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
                    )
                )
        except OSError as error:
            log.warning("checking the import's lines here: no worker process starts (%s)", error)
            for process in processes:
                process.kill()
                process.wait()
            return None
        return cls(processes) if processes else None

    def check(self, chunks: Iterator[list[Line]], scans: Scans) -> Iterator[list[Checked]]:
        feeder = threading.Thread(target=self._feed, args=(chunks, scans), daemon=True)
        feeder.start()
        try:
            while (process := self.sent.get()) is not None:
                if isinstance(process, BaseException):
                    raise process
                assert process.stdout is not None
                try:
                    yield pickle.load(process.stdout)
                except EOFError:
                    raise WorkerFailed("a worker checking the import's lines stopped") from None
        finally:
            for process in self.processes:
                process.kill()
                process.wait()
            feeder.join()

    def _feed(self, chunks: Iterator[list[Line]], scans: Scans) -> None:
        try:
            for process, chunk in zip(itertools.cycle(self.processes), chunks):
                assert process.stdin is not None
                pickle.dump((scans, chunk), process.stdin, pickle.HIGHEST_PROTOCOL)
                process.stdin.flush()
                self.sent.put(process)
        except BrokenPipeError:
            self.sent.put(WorkerFailed("a worker checking the import's lines stopped"))
            return
        except BaseException as error:  # reading the file failed: the importer raises it
            self.sent.put(error)
            return
        self.sent.put(None)


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """A worker: check each chunk of lines read from `source` (with the import's `Scans`),
    write the results to `sink`."""
    with rare_collections():
        while True:
            try:
                scans, chunk = pickle.load(source)
            except EOFError:
                return
            results = [check(line, scans) for line in chunk]
            pickle.dump(results, sink, pickle.HIGHEST_PROTOCOL)
            sink.flush()


# Packed acts: how a checked act travels to the sort stage and back


def pack_act(act: Act) -> bytes:
    """The checked act as plain values: reading it back must not redo the checks, and plain
    values pickle faster than the act's dataclasses."""
    persons = [
        (role, p.pin.value if p.pin else None, p.full_name, p.sex, _date_parts(p.birth_date))
        for role, p in act.persons.items()
    ]
    ref = act.reference
    return pickle.dumps(
        (
            act.kind,
            (ref.authority, ref.book, ref.number),
            act.registered_on.toordinal(),
            _date_parts(act.fact_date),
            act.content,
            persons,
            act.content_hash,
        )
    )


def unpack_act(packed: bytes) -> Act:
    kind, ref, registered_on, fact_date, content, persons, content_hash = pickle.loads(packed)
    return Act(
        kind,
        Reference(*ref),
        date.fromordinal(registered_on),
        PartialDate(*fact_date),
        content,
        {
            role: PersonRef(Pin(pin) if pin else None, name, sex, _partial_date(born))
            for role, pin, name, sex, born in persons
        },
        content_hash,
    )


def _date_parts(value: PartialDate | None) -> tuple[int, int | None, int | None] | None:
    return None if value is None else (value.year, value.month, value.day)


def _partial_date(parts: tuple[int, int | None, int | None] | None) -> PartialDate | None:
    return None if parts is None else PartialDate(*parts)


def work() -> None:
    """A worker process's main: chunks of lines from stdin, their results to stdout."""
    results = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, not into the results
    try:
        serve(sys.stdin.buffer, results)
    except (BrokenPipeError, KeyboardInterrupt):  # the importer stopped
        sys.exit(0)
