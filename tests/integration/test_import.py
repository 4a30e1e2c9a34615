"""Importing register exports: counts that add up, idempotent re-runs, order-free results,
and a killed import that resumes to the same ledger."""

from __future__ import annotations

import gc
import gzip
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lifeledger.domain.acts import Reference
from lifeledger.domain.entry import entry_id
from lifeledger.importers.register import UnreadableExport, import_files
from lifeledger.importers.validation import CHUNK, Line, WorkerFailed, check, check_all
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings
from tests.builders import a_birth, a_correction, a_death, a_divorce, a_marriage, a_pin
from tests.conftest import NewDatabase
from tests.ledger_state import ledger_events


def families(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` small families: two parents born, married, children born, some divorced/dead."""
    rng = random.Random(seed)
    entries: list[dict[str, Any]] = []
    for family in range(count):
        year = rng.randint(1940, 1980)
        husband, wife = a_pin("M", year), a_pin("F", year + 2)
        entries += [
            a_birth(husband, f"{year}-03-0{1 + family % 9}"),
            a_birth(wife, f"{year + 2}-07-1{family % 10}"),
        ]
        marriage = a_marriage(husband, wife, f"{year + 25}-05-20")
        entries.append(marriage)
        for child in range(rng.randint(0, 3)):
            born = year + 27 + 2 * child
            entries.append(
                a_birth(
                    a_pin("MF"[child % 2], born),
                    f"{born}-0{1 + child}-15",
                    mother=wife,
                    father=husband,
                )
            )
        if family % 4 == 1:
            entries.append(a_divorce(marriage, f"{year + 40}-01-10"))
        if family % 5 == 2:
            entries.append(a_death(husband, f"{year + 44}-11-11"))
        if family % 6 == 3:
            last = _last_birth(entries)
            given = last["child"]["given_name"]
            change = {"field": "child.given_name", "before": given, "after": given + "h"}
            entries.append(a_correction(last, last["child"]["pin"], [change], on="2021-01-05"))
    return entries


def _last_birth(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in reversed(entries) if e["kind"] == "birth")


BAD_LINES = [
    "{not json",
    json.dumps({"kind": "birth", "register": {"authority": "X", "book": "1"}}),
    json.dumps(a_birth("03419000000", "1990-01-01")),  # 11 digits
    json.dumps(a_birth("003090000001", "1990-01-01")),  # unknown province
    json.dumps(a_birth(a_pin("M", 1990), "1991-01-01")),  # PIN year disagrees
    json.dumps({**a_birth(a_pin("F", 1990), "1990-02-02"), "note": "ink\u0000blot"}),
    '{"kind": "birth", "note": ' + "[" * 100_000 + "]" * 100_000 + "}",  # too deep to parse
]


def write_export(path: Path, entries: list[dict[str, Any]], extra: Sequence[str] = ()) -> Path:
    lines = [json.dumps(e, ensure_ascii=False) for e in entries] + list(extra)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_counts_add_up_and_rejected_lines_are_reported(ledger: Ledger, tmp_path: Path) -> None:
    entries = families(12)
    export = write_export(tmp_path / "export.jsonl", entries, BAD_LINES)
    report = tmp_path / "rejected.jsonl"
    with report.open("w") as out:
        summary = import_files(ledger, [export], approve_as="approver-1", report=out)

    counts = summary.as_dict()
    assert counts["lines"] == len(entries) + len(BAD_LINES)
    assert counts["accepted"] == len(entries)
    assert counts["rejected"] == len(BAD_LINES)
    assert (
        counts["accepted"] + counts["duplicate"] + counts["rejected"] + counts["conflict"]
        == counts["lines"]
    )
    reported = [json.loads(line) for line in report.read_text().splitlines()]
    assert sorted(r["code"] for r in reported) == sorted(
        ["invalid-entry"] * 4 + ["invalid-pin", "invalid-pin", "pin-mismatch"]
    )
    assert all(r["reason"] and r["line"] for r in reported)
    assert any("note: text contains a NUL character" in r["reason"] for r in reported)
    assert any("not JSON: nested too deeply" in r["reason"] for r in reported)


def test_an_object_looking_like_the_stores_encoding_is_refused_and_changes_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Such an object was once accepted, then read back as the value it imitates or not at
    all: every projection stopped at that event."""
    entry = a_birth(a_pin("F", 1990), "1990-02-02")
    entry["child"]["note"] = {"_type_": "nope", "_data_": 1}
    report = tmp_path / "rejected.jsonl"
    with report.open("w") as out:
        summary = import_files(
            ledger, [write_export(tmp_path / "x.jsonl", [entry])], approve_as="a-1", report=out
        )
    assert summary.as_dict()["rejected"] == 1
    assert ledger.position() == 0
    (reported,) = [json.loads(line) for line in report.read_text().splitlines()]
    assert reported["field"] == "child.note" and "_type_" in reported["reason"]


def test_an_import_leaves_the_garbage_collector_as_it_found_it(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The import pauses the collector's automatic passes; a failing import restores them too."""
    export = write_export(tmp_path / "export.jsonl", families(2))
    import_files(ledger, [export], approve_as="approver-1")
    assert gc.isenabled()
    with pytest.raises(UnreadableExport):
        import_files(ledger, [tmp_path / "missing.jsonl"], approve_as="approver-1")
    assert gc.isenabled()


def test_importing_the_same_file_twice_changes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    entries = families(10)
    export = write_export(tmp_path / "export.jsonl", entries)
    first = import_files(ledger, [export], approve_as="approver-1").as_dict()
    before = ledger_events(ledger)
    second = import_files(ledger, [export], approve_as="approver-1").as_dict()

    assert first["accepted"] == len(entries)
    assert second == {
        "lines": len(entries),
        "accepted": 0,
        "staged": 0,
        "duplicate": len(entries),
        "rejected": 0,
        "conflict": 0,
    }
    assert ledger_events(ledger) == before


def test_a_shuffled_file_gives_the_same_ledger(new_database: NewDatabase, tmp_path: Path) -> None:
    entries = families(15)
    shuffled = entries[:]
    random.Random(3).shuffle(shuffled)
    results = []
    for name, lines in (("ordered", entries), ("shuffled", shuffled)):
        app = Ledger(Settings(database_url=new_database()))
        import_files(app, [write_export(tmp_path / f"{name}.jsonl", lines)], approve_as="ap-1")
        results.append(ledger_events(app))
        app.close()
    assert results[0] == results[1]
    assert len(results[0]) > len(entries)


def test_persons_kept_between_batches_change_nothing_and_are_let_go_when_the_import_ends(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    """Persons kept in memory between batches only spare reads: with none kept, every batch
    reads its persons from the store, and the ledger is the same. Kept, they are held between
    batches within the limit and let go when the import ends."""
    export = write_export(tmp_path / "export.jsonl", families(40, seed=9))
    results, held = [], {}
    for kept in (0, 30, 1_000_000):
        app = Ledger(
            Settings(database_url=new_database(), import_batch_size=25, import_kept_persons=kept)
        )
        sizes: list[int] = []
        summary = import_files(
            app,
            [export],
            approve_as="ap-1",
            progress=lambda *_, a=app, s=sizes: s.append(len(a.batch_loader.kept)),
        )
        held[kept] = (max(sizes), len(app.batch_loader.kept))
        results.append((summary.as_dict(), ledger_events(app)))
        app.close()
    assert results[0] == results[1] == results[2]
    assert results[0][0]["accepted"] == results[0][0]["lines"] > 100
    assert held[0] == (0, 0) and held[30] == (30, 0)
    assert held[1_000_000][0] > 30 and held[1_000_000][1] == 0


def test_lines_checked_by_worker_processes_give_what_checking_in_process_gives(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    """A file of more than a chunk of lines is checked by worker processes: the counts, the
    report (bad lines in several chunks, in file order) and the ledger are the same."""
    entries: list[Any] = [json.dumps(e, ensure_ascii=False) for e in families(320, seed=5)]
    assert len(entries) > 1.5 * CHUNK
    for index, bad in enumerate(BAD_LINES):
        entries.insert(index * 250 + 7, bad)
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(entries) + "\n", encoding="utf-8")
    results = []
    for workers in (0, 2):
        app = Ledger(Settings(database_url=new_database(), import_workers=workers))
        report = tmp_path / f"report-{workers}.jsonl"
        with report.open("w") as out:
            summary = import_files(app, [export], approve_as="ap-1", report=out)
        results.append((summary.as_dict(), report.read_text(), ledger_events(app)))
        app.close()
    assert results[0] == results[1]
    counts, report_text, _ = results[1]
    assert counts["rejected"] == len(BAD_LINES)
    assert [json.loads(r)["line"] for r in report_text.splitlines()] == [
        index * 250 + 8 for index in range(len(BAD_LINES))
    ]


VALIDATION = "lifeledger.importers.validation"


def test_a_long_file_is_checked_by_worker_processes_line_for_line_as_here() -> None:
    entries = [json.dumps(e, ensure_ascii=False) for e in families(320, seed=5)]
    lines = [Line("export.jsonl", n, text) for n, text in enumerate(entries + BAD_LINES, 1)]
    checked = check_all(lines, workers=2)
    first = next(checked)
    workers = _children_running(VALIDATION)
    found = [c for chunk in [first, *checked] for c in chunk]
    assert len(workers) == 2
    assert found == [check(line) for line in lines]
    assert not _children_running(VALIDATION)  # stopped once done


def test_a_worker_killed_while_checking_stops_the_import_before_anything_is_saved(
    ledger: Ledger, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "export.jsonl", families(2000, seed=9))
    failed: list[BaseException] = []

    def run() -> None:
        try:
            import_files(ledger, [export], approve_as="ap-1")
        except WorkerFailed as error:
            failed.append(error)

    importer = threading.Thread(target=run)
    importer.start()
    deadline = time.monotonic() + 30
    while not (workers := _children_running(VALIDATION)) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(workers[0], signal.SIGKILL)
    importer.join(timeout=60)
    assert not importer.is_alive() and failed  # no wait for ever: the import stops
    assert ledger.position() == 0


def _children_running(module: str) -> list[int]:
    """The processes this one started whose command line names `module` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and module in command:
            found.append(int(entry.name))
    return found


def test_when_no_worker_process_can_start_the_importer_checks_the_lines_itself(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    entries = families(220, seed=5)
    assert len(entries) > CHUNK
    export = write_export(tmp_path / "export.jsonl", entries)
    counts = import_files(ledger, [export], approve_as="ap-1").as_dict()
    assert counts["accepted"] == len(entries)


def test_a_file_that_cannot_be_read_to_its_end_stops_the_import_and_changes_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A gzip file cut short past the first chunk: the reading error reaches the importer
    from the thread that feeds the workers, before anything is saved."""
    lines = [json.dumps(e, ensure_ascii=False) for e in families(320, seed=5)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    export = tmp_path / "export.jsonl.gz"
    export.write_bytes(whole[: len(whole) * 3 // 4])
    with pytest.raises(UnreadableExport, match=r"export\.jsonl\.gz: cannot be read"):
        import_files(ledger, [export], approve_as="ap-1")
    assert ledger.position() == 0


CSV_HEADER = (
    "kind,register.authority,register.province,register.book,register.number,"
    "register.registered_on,child.pin,child.full_name,child.sex,child.birth_date"
)


def csv_row(number: int, birth_year: int) -> str:
    pin = a_pin("M", birth_year)
    return (
        f"birth,034-XA-DONGHOA,034,01/{birth_year},{number},{birth_year}-02-02,{pin},"
        f"Lê Văn Tám,M,{birth_year}-02-01"
    )


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (CSV_HEADER + ",child", "'child' and a column 'child.pin' inside it"),
        (CSV_HEADER + ",child.sex", "'child.sex' more than once"),
    ],
)
def test_a_csv_header_that_would_lose_values_makes_the_file_unreadable(
    ledger: Ledger, tmp_path: Path, header: str, named: str
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(f"{header}\n{csv_row(1, 1961)},x\n", encoding="utf-8")
    with pytest.raises(UnreadableExport, match=re.escape(named)):
        import_files(ledger, [export], approve_as="ap-1")
    assert ledger.position() == 0


def test_a_csv_row_with_shifted_values_or_an_odd_page_is_rejected_and_the_others_go_in(
    ledger: Ledger, tmp_path: Path
) -> None:
    """An unquoted comma shifts a row's values: the row is reported, not read shifted; a
    page that is no page number is named."""
    export = tmp_path / "export.csv"
    rows = [
        csv_row(1, 1961) + ",12",
        csv_row(2, 1962).replace("Lê Văn Tám", "Lê, Văn Tám") + ",14",
        csv_row(3, 1963) + ",²",  # "²".isdigit() is true, yet no int() reads it
    ]
    export.write_text("\n".join([CSV_HEADER + ",register.page", *rows]) + "\n", encoding="utf-8")
    report = tmp_path / "rejected.jsonl"
    with report.open("w") as out:
        counts = import_files(ledger, [export], approve_as="ap-1", report=out).as_dict()
    assert (counts["accepted"], counts["rejected"]) == (1, 2)
    shifted, odd_page = [json.loads(line) for line in report.read_text().splitlines()]
    assert shifted["line"] == 3 and shifted["reason"] == "line 3: 12 values for 11 columns"
    assert odd_page["line"] == 4 and odd_page["field"] == "register.page"


ODD_VALUES: list[Any] = [None, "", 0, -1, 1.5, True, [], {}, "x", [1, "a"], {"a": 1},
              "2020-02-30", "1990-13", "034190000001", 10**30, " 2001-01-01 "]  # fmt: skip


def _with_odd_values(entry: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The entry with one to three of its fields (at any depth) given another JSON value of
    any type, or removed: what a messy export holds."""
    entry = json.loads(json.dumps(entry))
    for _ in range(rng.randint(1, 3)):
        places: list[tuple[Any, Any]] = []
        nodes: list[Any] = [entry]
        while nodes:
            node = nodes.pop()
            keys = node.keys() if isinstance(node, dict) else range(len(node))
            for key in keys:
                places.append((node, key))
                if isinstance(node[key], dict | list):
                    nodes.append(node[key])
        node, key = rng.choice(places)
        if isinstance(node, dict) and rng.random() < 0.3:
            del node[key]
        else:
            node[key] = json.loads(json.dumps(rng.choice(ODD_VALUES)))
    return entry


def test_entries_with_odd_values_end_as_counted_lines_and_the_read_models_take_them(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Every line of a messy export ends accepted, duplicate, rejected or conflict (no line
    stops the import), and the projections apply whatever was accepted."""
    rng = random.Random(29)
    entries = [
        _with_odd_values(entry, rng) if rng.random() < 0.5 else entry
        for entry in families(120, seed=13)
    ]
    export = write_export(tmp_path / "messy.jsonl", entries)
    counts = import_files(ledger, [export], approve_as="ap-1").as_dict()
    statuses = ("accepted", "duplicate", "rejected", "conflict")
    assert sum(counts[status] for status in statuses) == counts["lines"] == len(entries)
    assert counts["rejected"] > 100 and counts["accepted"] > len(entries) / 2
    projections = Projections(ledger)
    assert projections.runner.catch_up() == ledger.position()
    projections.close()


def test_exports_joined_end_to_end_with_their_byte_order_marks_import_whole(
    ledger: Ledger, tmp_path: Path
) -> None:
    parts = [families(2, seed=1), families(2, seed=2)]
    text = "".join("\ufeff" + "".join(json.dumps(e) + "\r\n" for e in part) for part in parts)
    export = tmp_path / "joined.jsonl"
    export.write_text(text, encoding="utf-8")
    counts = import_files(ledger, [export], approve_as="ap-1").as_dict()
    assert counts["accepted"] == counts["lines"] == sum(map(len, parts))


def test_same_reference_with_other_content_is_a_conflict(ledger: Ledger, tmp_path: Path) -> None:
    birth = a_birth(a_pin("F", 2000), "2000-01-01")
    changed = {**birth, "child": {**birth["child"], "full_name": "Nguyễn Thị Khác"}}
    export = write_export(tmp_path / "export.jsonl", [birth, changed])
    counts = import_files(ledger, [export], approve_as="approver-1").as_dict()
    assert (counts["accepted"], counts["conflict"]) == (1, 1)


def test_unknown_fields_are_kept_under_extra_and_a_new_column_is_no_conflict(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The format keeps unknown fields under `extra`, which the content hash leaves out: the
    same act exported again with a new column is a duplicate."""
    birth = {**a_birth(a_pin("F", 2000), "2000-01-01"), "so_trang": 12, "extra": {"lo": "A"}}
    again = {**birth, "so_trang": 13, "ghi_chu": "bản sao"}
    export = write_export(tmp_path / "export.jsonl", [birth, again])
    counts = import_files(ledger, [export], approve_as="approver-1").as_dict()
    assert (counts["accepted"], counts["duplicate"]) == (1, 1)
    registration = ledger.registration(Reference.at(birth, "register"))
    assert registration is not None
    assert registration.content["extra"] == {"lo": "A", "so_trang": 12}
    assert "so_trang" not in registration.content


def test_without_approver_entries_are_staged_not_recorded(ledger: Ledger, tmp_path: Path) -> None:
    entries = families(3)
    export = write_export(tmp_path / "export.jsonl", entries)
    counts = import_files(ledger, [export]).as_dict()
    assert (counts["staged"], counts["accepted"]) == (len(entries), 0)
    pin = entries[0]["child"]["pin"]
    assert ledger.person(pin) is None
    again = import_files(ledger, [export]).as_dict()
    assert again["duplicate"] == len(entries)


def test_an_approver_cannot_approve_their_own_entries(ledger: Ledger, tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.jsonl", families(1))
    counts = import_files(ledger, [export], approve_as="op-01").as_dict()
    assert counts["rejected"] == counts["lines"]


def test_killed_import_resumes_to_the_same_ledger(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    export = write_export(tmp_path / "export.jsonl", families(400, seed=11))
    clean_url, killed_url = new_database(), new_database()
    _run_import(clean_url, export)

    process = _start_import(killed_url, export)
    watcher = Ledger(Settings(database_url=killed_url))
    deadline = time.monotonic() + 60
    while watcher.position() < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = watcher.position()
    _run_import(killed_url, export)

    clean = Ledger(Settings(database_url=clean_url))
    assert 0 < partial < clean.position()
    assert ledger_events(watcher) == ledger_events(clean)
    watcher.close()
    clean.close()


def _start_import(url: str, export: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": url, "LIFELEDGER_IMPORT_BATCH_SIZE": "20"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lifeledger.cli",
            "import",
            str(export),
            "--approve-as",
            "ap-1",
            "--json",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _run_import(url: str, export: Path) -> None:
    process = _start_import(url, export)
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors.decode()


def test_an_approver_approves_a_staged_import_in_the_order_of_its_facts(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Approving an import's entries together: whatever the file's order, each act sees the
    ones approved before it (a divorce after its marriage), in batches."""
    entries = families(6)
    random.Random(7).shuffle(entries)
    export = write_export(tmp_path / "export.jsonl", entries)
    counts = import_files(ledger, [export], entered_by="op-02").as_dict()
    assert counts["staged"] == len(entries)
    ids = [entry_id(Reference.at(entry, "register")) for entry in entries]
    outcomes = ledger.approve_many(ids, "approver-1")
    assert [o.status for o in outcomes] == ["accepted"] * len(entries)
    assert all(ledger.registration(Reference.at(e, "register")) for e in entries)
    again = ledger.approve_many(ids[:1], "approver-1")
    assert [(o.status, o.error and o.error.code) for o in again] == [
        ("rejected", "entry-not-pending")
    ]


def test_an_entry_staged_by_the_approver_is_left_pending(ledger: Ledger, tmp_path: Path) -> None:
    entries = families(1)
    export = write_export(tmp_path / "export.jsonl", entries)
    import_files(ledger, [export], entered_by="approver-1")
    ids = [entry_id(Reference.at(entry, "register")) for entry in entries]
    outcomes = ledger.approve_many(ids, "approver-1")
    assert {(o.status, o.error and o.error.code) for o in outcomes} == {("rejected", "four-eyes")}
    assert all(ledger.staged_entry(i).status == "pending" for i in ids)  # type: ignore[union-attr]
