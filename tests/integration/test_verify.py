"""`lifeledger verify` against someone with write access to the database: one byte of one
stored event changed with direct SQL, one event deleted, one inserted, two swapped: each
time the right event is named and the exit code is 1; an untouched ledger verifies (0); a
digest taken before more writes still verifies after them and fails once an event it covers
is changed, even when the log itself is rebuilt to match; no private key in the database."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from lifeledger.audit.keys import init_key, load_signer
from lifeledger.audit.leaves import event_id
from lifeledger.audit.log import LEAVES, NODES, MerkleLog
from lifeledger.audit.verify import Verifier
from lifeledger.cli import app
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.database import ViewDatabase
from lifeledger.database_url import DatabaseUrl
from lifeledger.demo import load_demo
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from tests.builders import a_birth, a_pin


@dataclass
class Store:
    """Direct SQL on the event table, as an intruder would write it."""

    url: str
    table: str = "stored_events"

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")

    @property
    def position(self) -> str:
        return "notification_id" if self.postgres else "rowid"

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        statement = statement.replace("{position}", self.position)
        statement = statement.replace("stored_events", self.table)
        if self.postgres:
            with psycopg.connect(DatabaseUrl.parse(self.url).conninfo(), autocommit=True) as conn:
                cursor = conn.execute(statement, params)
                return list(cursor.fetchall()) if cursor.description else []
        lite = sqlite3.connect(DatabaseUrl.parse(self.url).path)
        try:
            rows = lite.execute(statement.replace("%s", "?"), params).fetchall()
            lite.commit()
            return rows
        finally:
            lite.close()

    def event_at(self, position: int) -> tuple[Any, ...]:
        return self.run(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "WHERE {position} = %s",
            (position,),
        )[0]

    def id_at(self, position: int) -> str:
        originator, version, *_ = self.event_at(position)
        raw = originator.bytes if self.postgres else bytes.fromhex(originator)
        return event_id(raw, version)

    def delete(self, position: int) -> None:
        self.run("DELETE FROM stored_events WHERE {position} = %s", (position,))

    def insert(self, position: int, row: tuple[Any, ...]) -> None:
        self.run(
            "INSERT INTO stored_events ({position}, originator_id, originator_version, topic, "
            "state) VALUES (%s, %s, %s, %s, %s)",
            (position, *row),
        )

    def flip_byte(self, position: int, offset: int = 11) -> None:
        state = bytearray(self.event_at(position)[3])
        state[offset] ^= 0x01
        self.run(
            "UPDATE stored_events SET state = %s WHERE {position} = %s", (bytes(state), position)
        )

    def swap(self, first: int, second: int) -> None:
        move = "UPDATE stored_events SET {position} = %s WHERE {position} = %s"
        self.run(move, (-1, first))
        self.run(move, (first, second))
        self.run(move, (second, -1))


def store_of(ledger: Ledger) -> Store:
    recorder: Any = ledger.recorder
    schema = getattr(recorder.datastore, "schema", "")
    table = recorder.events_table_name
    return Store(ledger.settings.database_url, f'"{schema}"."{table}"' if schema else table)


@pytest.fixture
def demo(ledger: Ledger) -> Iterator[tuple[Ledger, MerkleLog, Store]]:
    """The demo ledger (135 events), logged in small batches."""
    load_demo(ledger)
    db = ViewDatabase(ledger.settings.database_url, pool_size=2)
    merkle = MerkleLog(ledger, db, batch_size=16)
    merkle.catch_up()
    yield ledger, merkle, store_of(ledger)
    db.close()


def verify(merkle: MerkleLog) -> Any:
    """The first anomaly, by blocks of 8 leaves (so the block path is taken) and by 1,024."""
    small = Verifier(merkle, block_level=3).run()
    large = Verifier(merkle).run()
    assert small.anomaly == large.anomaly
    return small.anomaly


def cli(url: str, *args: str, **env: str) -> Any:
    return CliRunner().invoke(app, ["verify", *args], env={"LIFELEDGER_DATABASE_URL": url, **env})


def test_an_untouched_ledger_verifies(demo: tuple[Ledger, MerkleLog, Store]) -> None:
    ledger, merkle, _ = demo
    assert merkle.head().tree_size == ledger.position() == 135
    assert verify(merkle) is None
    done = cli(ledger.settings.database_url)
    assert done.exit_code == 0, done.output
    assert "135 events verified" in done.output


@pytest.mark.parametrize("position", [1, 50, 100, 135])
def test_one_changed_byte_names_its_event(
    demo: tuple[Ledger, MerkleLog, Store], position: int
) -> None:
    ledger, merkle, store = demo
    store.flip_byte(position)
    anomaly = verify(merkle)
    assert (anomaly.kind, anomaly.position, anomaly.event_id) == (
        "altered", position, store.id_at(position),
    )  # fmt: skip
    done = cli(ledger.settings.database_url)
    assert done.exit_code == 1
    assert f"altered: position {position}, event {store.id_at(position)}" in done.output


@pytest.mark.parametrize("position", [60, 135])
def test_a_deleted_event_is_named(demo: tuple[Ledger, MerkleLog, Store], position: int) -> None:
    ledger, merkle, store = demo
    gone = store.id_at(position)
    store.delete(position)
    anomaly = verify(merkle)
    assert (anomaly.kind, anomaly.position, anomaly.event_id) == ("deleted", position, gone)
    assert cli(ledger.settings.database_url).exit_code == 1


def test_an_event_inserted_into_a_gap_is_named(ledger: Ledger) -> None:
    """Positions may have gaps (PostgreSQL skips those of failed transactions): one made before
    the log is built, then filled by the intruder."""
    load_demo(ledger)
    store = store_of(ledger)
    row = store.event_at(40)
    store.delete(40)
    db = ViewDatabase(ledger.settings.database_url, pool_size=2)
    merkle = MerkleLog(ledger, db)
    assert merkle.catch_up() == 134
    assert verify(merkle) is None
    store.insert(40, row)
    anomaly = verify(merkle)
    assert (anomaly.kind, anomaly.position, anomaly.event_id) == ("inserted", 40, store.id_at(40))
    done = cli(ledger.settings.database_url)
    assert done.exit_code == 1 and "inserted: position 40" in done.output
    db.close()


def test_two_swapped_events_are_named(demo: tuple[Ledger, MerkleLog, Store]) -> None:
    ledger, merkle, store = demo
    first, second = store.id_at(30), store.id_at(70)
    store.swap(30, 70)
    anomaly = verify(merkle)
    assert (anomaly.kind, anomaly.position, anomaly.event_id) == ("reordered", 30, second)
    assert "logged at position 70" in anomaly.detail
    assert store.id_at(70) == first
    assert cli(ledger.settings.database_url).exit_code == 1


def test_a_changed_log_node_is_found(demo: tuple[Ledger, MerkleLog, Store]) -> None:
    _, merkle, store = demo
    store.run(f"UPDATE {NODES} SET hash = %s WHERE level = 3 AND idx = 2", (bytes(32),))
    assert Verifier(merkle, block_level=3).run().anomaly is not None
    store.run(f"UPDATE {LEAVES} SET hash = %s WHERE leaf_index = 5", (bytes(32),))
    anomaly = Verifier(merkle).run().anomaly
    assert anomaly is not None and anomaly.position == 6


def more_events(ledger: Ledger, count: int) -> None:
    officer = Recorder("officer-1", office="034-XA-DONGHOA")
    for _ in range(count):
        ledger.register(a_birth(a_pin(year=2001), "2001-02-03"), officer)


def test_a_digest_holds_after_more_writes_and_fails_after_tampering(
    demo: tuple[Ledger, MerkleLog, Store], tmp_path: Path
) -> None:
    ledger, merkle, store = demo
    url = ledger.settings.database_url
    key = tmp_path / "signing.pem"
    init_key(key)
    signer = load_signer(key)
    saved = tmp_path / "digest.json"
    saved.write_text(json.dumps(signer.digest("urn:test", 135, merkle.root(135))))
    more_events(ledger, 3)
    assert ledger.position() > 135
    done = cli(url, "--digest", str(saved), LIFELEDGER_SIGNING_KEY_FILE=str(key))
    assert done.exit_code == 0, done.output
    assert "extends the digest of 135 events" in done.output
    assert merkle.head().tree_size == ledger.position()  # verify logged the new events first

    other = tmp_path / "other.pem"
    init_key(other)
    forged = cli(url, "--digest", str(saved), "--public-key", str(other))
    assert forged.exit_code == 1 and "signature does not verify" in forged.output

    store.flip_byte(77)
    assert cli(url, "--digest", str(saved), LIFELEDGER_SIGNING_KEY_FILE=str(key)).exit_code == 1
    # An intruder who also rebuilds the log to match: only the digest still tells.
    store.run(f"DELETE FROM {LEAVES}")
    store.run(f"DELETE FROM {NODES}")
    store.run("UPDATE ll_merkle_head SET tree_size = 0, position = 0")
    rebuilt = MerkleLog(ledger, merkle.db)
    rebuilt.catch_up()
    assert verify(rebuilt) is None
    done = cli(url, "--digest", str(saved), LIFELEDGER_SIGNING_KEY_FILE=str(key))
    assert done.exit_code == 1 and "does not extend the digest" in done.output


def test_usage_errors_exit_2(demo: tuple[Ledger, MerkleLog, Store], tmp_path: Path) -> None:
    url = demo[0].settings.database_url
    assert cli(url, "--digest", str(tmp_path / "none.json")).exit_code == 2
    (tmp_path / "bad.json").write_text('{"tree_size": 3}')
    assert cli(url, "--digest", str(tmp_path / "bad.json")).exit_code == 2
    key = tmp_path / "k.pem"
    init_key(key)
    digest = load_signer(key).digest("urn:test", 3, bytes(32))
    (tmp_path / "d.json").write_text(json.dumps(digest))
    assert cli(url, "--digest", str(tmp_path / "d.json")).exit_code == 2  # no public key
    assert cli(url, "--no-such-option").exit_code == 2


def test_keys_init_writes_a_private_file_once(tmp_path: Path, database_url: str) -> None:
    runner, key = CliRunner(), tmp_path / "signing.pem"
    env = {"LIFELEDGER_DATABASE_URL": database_url}
    unset = runner.invoke(app, ["keys", "init"], env=env)
    assert unset.exit_code == 2 and "LIFELEDGER_SIGNING_KEY_FILE" in unset.output
    env["LIFELEDGER_SIGNING_KEY_FILE"] = str(key)
    made = runner.invoke(app, ["keys", "init"], env=env)
    assert made.exit_code == 0, made.output
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_bytes()
    again = runner.invoke(app, ["keys", "init"], env=env)
    assert again.exit_code == 2 and "--force" in again.output
    assert key.read_bytes() == first
    key.chmod(0o644)
    forced = runner.invoke(app, ["keys", "init", "--force"], env=env)
    assert forced.exit_code == 0 and key.read_bytes() != first
    assert key.stat().st_mode & 0o777 == 0o600


def test_two_logs_take_turns_and_resume(ledger: Ledger) -> None:
    """Two processes appending never log an event twice; a new one resumes at the head."""
    load_demo(ledger)
    one = ViewDatabase(ledger.settings.database_url, pool_size=2)
    two = ViewDatabase(ledger.settings.database_url, pool_size=2)
    first, second = MerkleLog(ledger, one, batch_size=10), MerkleLog(ledger, two, batch_size=7)
    while first.run_batch() + second.run_batch():
        pass
    assert first.head().tree_size == 135
    assert verify(MerkleLog(ledger, one)) is None
    more_events(ledger, 2)
    resumed = MerkleLog(ledger, two)
    assert resumed.catch_up() == ledger.position() - 135
    assert verify(resumed) is None
    one.close()
    two.close()


def test_no_private_key_in_the_database(
    demo: tuple[Ledger, MerkleLog, Store], tmp_path: Path
) -> None:
    """The key file's secret bytes appear nowhere in the database (file or dump), after the
    key signed digests."""
    ledger, merkle, _ = demo
    key = tmp_path / "signing.pem"
    init_key(key)
    signer = load_signer(key)
    secret = signer.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    signer.digest("urn:test", 135, merkle.root(135))
    dump = database_bytes(ledger.settings)
    assert len(dump) > 10_000
    for needle in (secret, secret.hex().encode(), key.read_bytes()[30:60]):
        assert needle not in dump


def database_bytes(settings: Settings) -> bytes:
    url = DatabaseUrl.parse(settings.database_url)
    if not url.is_postgres:
        files = [Path(url.path + suffix) for suffix in ("", "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    done = subprocess.run(
        ["pg_dump", "--no-owner", url.with_dbname(url.dbname)], capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_roots_of_any_earlier_size_are_recomputed(
    demo: tuple[Ledger, MerkleLog, Store],
) -> None:
    _, merkle, _ = demo
    sizes = (1, 7, 8, 9, 64, 100, 127, 128, 129, 135)
    outcome = Verifier(merkle, sizes, block_level=3).run()
    assert outcome.roots == {size: merkle.root(size) for size in sizes}
    assert Verifier(merkle, sizes).run().roots == outcome.roots


def test_a_respelled_or_replaced_originator_id_is_named(
    demo: tuple[Ledger, MerkleLog, Store],
) -> None:
    """SQLite keeps ids as text: the same UUID in capitals is no longer found by the library,
    so it is a change too; PostgreSQL keeps a uuid: another id is."""
    _, merkle, store = demo
    if store.postgres:
        store.run(
            "UPDATE stored_events SET originator_id = %s WHERE {position} = 20",
            ("00000000-0000-0000-0000-000000000001",),
        )
    else:
        store.run("UPDATE stored_events SET originator_id = upper(originator_id) WHERE rowid = 20")
    anomaly = verify(merkle)
    assert (anomaly.kind, anomaly.position) == ("altered", 20)
