"""The `lifeledger` command as an operator runs it: exit codes, JSON counts, demo data."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from lifeledger.auth import UserStore
from lifeledger.database import ViewDatabase
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from tests.builders import a_birth, a_pin


def lifeledger(database_url: str, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run the command; `settings` become `LIFELEDGER_*` variables (`import_workers="0"`)."""
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url}
    env.update({f"LIFELEDGER_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run([sys.executable, "-m", "lifeledger.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_import_prints_counts_as_json(database_url: str, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps(a_birth(a_pin("F", 1999), "1999-09-09")) + "\n")
    done = lifeledger(database_url, "import", str(export), "--approve-as", "ap-1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"lines": 1, "accepted": 1, "staged": 0, "duplicate": 0,
                                       "rejected": 0, "conflict": 0}  # fmt: skip


def test_import_with_rejected_lines_exits_non_zero_and_reports_them(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text("{broken\n")
    report = tmp_path / "report.jsonl"
    done = lifeledger(database_url, "import", str(export), "--report", str(report), "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["rejected"] == 1
    assert "not JSON" in json.loads(report.read_text())["reason"]


def test_import_of_a_missing_file_names_it_and_changes_nothing(database_url: str) -> None:
    done = lifeledger(database_url, "import", "/nonexistent/export.jsonl")
    assert done.returncode == 2
    assert "/nonexistent/export.jsonl" in done.stderr


def test_import_of_a_file_that_is_not_utf8_text_names_it_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    lines = [json.dumps(a_birth(a_pin("F", 1990 + n), f"{1990 + n}-09-09")) for n in range(3)]
    export = tmp_path / "latin1.jsonl"
    export.write_bytes(("\n".join(lines) + "\n").encode() + "Ha Noi, café\n".encode("latin-1"))
    done = lifeledger(database_url, "import", str(export), "--approve-as", "ap-1")
    assert done.returncode == 2
    said = " ".join(done.stderr.split())  # as the terminal wraps it
    assert "latin1.jsonl" in said and "cannot be read as UTF-8" in said
    assert "nothing was imported" in said and "Traceback" not in said
    ledger = Ledger(Settings(database_url=database_url))
    assert ledger.position() == 0
    ledger.close()


def test_a_setting_that_is_not_valid_is_named_and_nothing_runs(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps(a_birth(a_pin("F", 1999), "1999-09-09")) + "\n")
    done = lifeledger(
        database_url, "import", str(export), "--approve-as", "ap-1", import_batch_size="0"
    )
    assert done.returncode == 2
    said = " ".join(done.stderr.split())
    assert "LIFELEDGER_IMPORT_BATCH_SIZE: Input should be greater than 0 (got '0')" in said
    assert "Traceback" not in said
    ledger = Ledger(Settings(database_url=database_url))
    assert ledger.position() == 0
    ledger.close()


def test_demo_loads_once_into_an_empty_ledger(database_url: str) -> None:
    first = lifeledger(database_url, "demo")
    assert first.returncode == 0, first.stderr
    assert "rejected: 0" in first.stdout and "conflict: 0" in first.stdout
    second = lifeledger(database_url, "demo")
    assert second.returncode == 0
    assert "not loaded" in second.stderr


def test_approve_as_names_an_active_approver_other_than_the_entering_user(
    database_url: str, tmp_path: Path
) -> None:
    """Four-eyes on the command line: once the ledger has users, `--approve-as` is checked."""
    store = UserStore(ViewDatabase(database_url, pool_size=1))
    store.setup()
    store.add("ana", ["approver"], ["034"])
    store.add("olga", ["officer"])
    store.add("gone", ["approver"])
    store.disable("gone")
    store.db.close()
    export = tmp_path / "export.jsonl"
    hanoi = a_birth(a_pin("M", 1991, "001"), "1991-01-01", authority="001-PH-HANGBAC")
    lines = [a_birth(a_pin("F", 1990), "1990-01-01"), hanoi]
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    refused = {
        "nobody-at-all": ["--approve-as", "nobody-at-all"],
        "not an approver": ["--approve-as", "olga"],
        "disabled": ["--approve-as", "gone"],
        "the entering user": ["--approve-as", "ana", "--entered-by", "ana"],
    }
    for why, options in refused.items():
        done = lifeledger(database_url, "import", str(export), *options, "--json")
        assert done.returncode == 2, (why, done.stderr)
        assert "nothing was imported" in done.stderr and "Traceback" not in done.stderr
    ledger = Ledger(Settings(database_url=database_url))
    assert ledger.position() == 0
    ledger.close()
    done = lifeledger(
        database_url, "import", str(export), "--approve-as", "ana", "--entered-by", "clerk",
        "--json",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # ana approves in 034 only: the 001 line
    assert json.loads(done.stdout) == {"lines": 2, "accepted": 1, "staged": 0, "duplicate": 0,
                                       "rejected": 1, "conflict": 0}  # fmt: skip


def test_rebuild_progress_bars_end_at_their_totals(database_url: str, tmp_path: Path) -> None:
    """On a terminal, `projections rebuild` shows a bar per stage; each ends at its total
    (the documents' bar stopped at 2,500 of 3,034)."""
    mothers = [a_pin("F", 1960, "001") for _ in range(2600)]
    entries = [a_birth(m, "1960-01-01", authority="001-PH-HANGBAC") for m in mothers]
    entries += [a_birth(a_pin("M", 1990, "096"), "1990-01-01", mother=m) for m in mothers[:600]]
    export = tmp_path / "families.jsonl"
    export.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    done = lifeledger(database_url, "import", str(export), "--approve-as", "ap-1")
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url, "COLUMNS": "120"}
    # A server's follower, running meanwhile, rebuilds documents too: the bar counts what is
    # left, not only its own steps (it stopped at 0 of 4,277 beside one).
    running = subprocess.Popen(
        [sys.executable, "-m", "lifeledger.cli", "projections", "run", "--poll", "0.05"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lifeledger.cli", "projections", "rebuild"],
        env=env, stdin=follower, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=120) == 0, output.decode(errors="replace")[-3000:]
    running.terminate()
    running.wait(timeout=30)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode(errors="replace"))
    finals = {}
    for line in text.replace("\r", "\n").splitlines():
        if match := re.search(r"(rebuilding \S.*?|person documents)\s.*?(\d+)/(\d+)", line):
            finals[match.group(1).split()[0]] = (match.group(2), match.group(3))
    assert set(finals) == {"rebuilding", "person"}, text
    assert all(done == total for done, total in finals.values()), finals


def test_a_report_that_cannot_be_written_is_a_usage_error_and_nothing_is_imported(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps(a_birth(a_pin("F", 1999), "1999-09-09")) + "\n")
    for report in ("/no/such/dir/r.jsonl", str(tmp_path)):
        done = lifeledger(
            database_url, "import", str(export), "--approve-as", "ap-1", "--report", report
        )
        assert done.returncode == 2
        said = " ".join(done.stderr.split())
        assert f"cannot write the report {report}" in said and "Traceback" not in said
    ledger = Ledger(Settings(database_url=database_url))
    assert ledger.position() == 0
    ledger.close()
