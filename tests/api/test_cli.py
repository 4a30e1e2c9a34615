"""`lifeledger users …` and the preparation `lifeledger serve` does on a fresh ledger."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.conftest import api_settings
from typer.testing import CliRunner

from lifeledger.api.app import create_app
from lifeledger.api.serve import prepare
from lifeledger.auth import UserStore, hash_key
from lifeledger.cli import app
from lifeledger.database import ViewDatabase
from lifeledger.demo import DEMO_PIN
from lifeledger.ledger import Ledger


def test_users_add_list_disable(database_url: str) -> None:
    runner, env = CliRunner(), {"LIFELEDGER_DATABASE_URL": database_url}
    added = runner.invoke(
        app, ["users", "add", "lan", "--role", "officer", "--provinces", "034,001"], env=env
    )
    assert added.exit_code == 0, added.output
    key = added.output.strip()
    assert key.startswith("ll_")
    db = ViewDatabase(database_url, pool_size=1)
    stored = db.rows("SELECT key_hash FROM api_user")
    assert stored == [{"key_hash": hash_key(key)}]
    listed = runner.invoke(app, ["users", "list"], env=env)
    assert "lan\tofficer\t001,034\tactive" in listed.output
    assert runner.invoke(app, ["users", "disable", "lan"], env=env).exit_code == 0
    assert UserStore(db, cache_seconds=0).authenticate(key) is None
    db.close()
    taken = runner.invoke(app, ["users", "add", "lan", "--role", "officer"], env=env)
    assert taken.exit_code == 2  # a usage error, not "lines rejected"
    unknown = runner.invoke(app, ["users", "add", "x", "--role", "wizard"], env=env)
    assert unknown.exit_code == 2 and "wizard" in unknown.output


def test_users_add_with_a_profile(database_url: str) -> None:
    runner, env = CliRunner(), {"LIFELEDGER_DATABASE_URL": database_url}
    add = ["users", "add", "stats", "--role", "subscriber", "--profile", "statistics"]
    assert runner.invoke(app, add, env=env).exit_code == 0
    listed = runner.invoke(app, ["users", "list"], env=env).output
    assert listed.startswith("stats\tsubscriber\tall\tactive") and "\tstatistics" in listed
    plain = runner.invoke(app, ["users", "add", "plain", "--role", "subscriber"], env=env)
    assert plain.exit_code == 0
    assert "\tfull" in runner.invoke(app, ["users", "list"], env=env).output
    add[2] = "other"
    unknown = runner.invoke(app, [*add[:-1], "everything"], env=env)
    assert unknown.exit_code == 2 and "everything" in unknown.output


def test_serve_prepares_demo_data_and_a_working_first_key(database_url: str) -> None:
    settings = api_settings(database_url)
    said: list[str] = []
    prepare(settings, said.append, demo=True)
    curl = next(line for line in said if "curl" in line)
    key = curl.split("Bearer ")[1].split("'")[0]
    assert curl.endswith(f"http://127.0.0.1:8000/v1/persons/{DEMO_PIN}")
    with TestClient(create_app(settings)) as client:
        context = client.app.state.context  # type: ignore[attr-defined]
        assert context.projections.runner.wait_for(context.ledger.position(), timeout=20)
        response = client.get(f"/v1/persons/{DEMO_PIN}", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        assert response.json()["full_name"] == "Nguyễn Minh Đức"
    again: list[str] = []
    prepare(settings, again.append, demo=True)
    assert not any("curl" in line for line in again)


def test_serve_loads_the_demo_by_default_only_into_an_empty_sqlite_ledger(
    database_url: str,
) -> None:
    """`make run` on the SQLite default gets something to look at; a production PostgreSQL
    ledger never starts with made-up persons unless `serve --demo` asks for them."""
    settings = api_settings(database_url)
    said: list[str] = []
    prepare(settings, said.append)
    ledger = Ledger(settings)
    try:
        has_demo = ledger.person(DEMO_PIN) is not None
    finally:
        ledger.close()
    assert has_demo == database_url.startswith("sqlite")
    curl = next(line for line in said if "curl" in line)
    assert curl.endswith(f"/v1/persons/{DEMO_PIN}" if has_demo else "/v1/stats")
