"""Webhook signing secrets encrypted at rest, on both stores, to a real receiver on 127.0.0.1:
with a secrets key the database holds neither the secret nor the key, and webhooks still
verify with the secret shown at creation or rotation; a sealed secret copied onto another
subscription does not open there (that one is not delivered, and the log says why, the
other is); secrets stored in clear before the key was configured are sealed when the app
starts, or when a delivering process claims one; `lifeledger keys init-secrets` writes a
private key file once."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from tests.api.conftest import Api, api_settings, running_api
from tests.api.test_webhooks import QUICK, births, patch, subscribe
from tests.integration.test_verify import database_bytes
from tests.receiver import Received, Receiver, receiving
from typer.testing import CliRunner

from lifeledger.api.migrations import migrate
from lifeledger.cli import app
from lifeledger.database import ViewDatabase
from lifeledger.feed.secret_box import (
    SecretUnreadable,
    init_secrets_key,
    load_secret_box,
    revealed,
)
from lifeledger.feed.subscriptions import PAUSED, Changes, SubscriptionStore
from lifeledger.feed.webhooks import Deliverer


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.key"
    init_secrets_key(path)
    return path


@pytest.fixture
def sealed(database_url: str, key: Path) -> Iterator[Api]:
    """The app delivering webhooks itself, its secrets sealed with `key`."""
    yield from running_api(api_settings(database_url, secrets_key_file=str(key), **QUICK))


def stored_secret(api: Api, sub_id: str) -> str:
    """`api_subscription.secret` as the database holds it."""
    row = api.context.projections.db.row(
        "SELECT secret FROM api_subscription WHERE id = %s", (sub_id,)
    )
    assert row is not None
    return str(row["secret"])


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def test_a_sealed_secret_is_not_in_the_database_and_still_signs(sealed: Api) -> None:
    with receiving() as receiver:
        made = subscribe(sealed.subscriber, receiver.url)
        stored = stored_secret(sealed, made["id"])
        assert stored.startswith("v1:") and made["secret"] not in stored
        births(sealed, 2)
        for request in taken(receiver, 2):
            Webhook(made["secret"]).verify(request.body, request.headers)
        path = f"/v1/subscriptions/{made['id']}"
        rotated = patch(sealed.subscriber, path, {"rotate_secret": True}).json()["secret"]
        assert rotated.startswith("whsec_") and rotated != made["secret"]
        now = stored_secret(sealed, made["id"])
        assert now.startswith("v1:") and now != stored and rotated not in now
        assert sealed.subscriber.get(path).json()["secret"] is None
        births(sealed, 1)
        last = taken(receiver, 3)[2]
        Webhook(rotated).verify(last.body, last.headers)


def taken(receiver: Receiver, count: int) -> list[Received]:
    """The requests taken, once `count` events came."""
    receiver.wait_for_events(count)
    return receiver.taken()


def test_neither_the_key_nor_a_secret_is_in_the_database(sealed: Api, key: Path) -> None:
    """After secrets were made, rotated and used, the dump (the SQLite file, or pg_dump)
    holds no part of the key nor of any secret, in any of the usual spellings."""
    made = subscribe(sealed.subscriber, "http://127.0.0.1:9/hooks")
    path = f"/v1/subscriptions/{made['id']}"
    rotated = patch(sealed.subscriber, path, {"rotate_secret": True}).json()["secret"]
    births(sealed, 2)
    raw_key = load_secret_box(key).key
    dump = database_bytes(sealed.context.settings)
    assert len(dump) > 10_000
    for secret in (made["secret"], rotated):
        raw = secret_bytes(secret)
        assert secret.encode() not in dump and raw not in dump and raw.hex().encode() not in dump
    for needle in (raw_key, raw_key.hex().encode(), key.read_bytes().strip()):
        assert needle not in dump


def test_a_secret_copied_to_another_subscription_does_not_open_there(
    database_url: str, key: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = api_settings(
        database_url, secrets_key_file=str(key), webhooks_in_serve=False, **QUICK
    )
    with receiving() as first, receiving() as second:
        for api in running_api(settings):
            one = subscribe(api.subscriber, first.url)
            two = subscribe(api.subscriber, second.url)
            db, copied = api.context.projections.db, stored_secret(api, one["id"])
            with db.transaction(lock=True) as tx:
                tx.execute(
                    "UPDATE api_subscription SET secret = %s WHERE id = %s", (copied, two["id"])
                )
            births(api, 1)
            deliverer = Deliverer(settings, db)
            with caplog.at_level(logging.ERROR, logger="lifeledger.feed.webhooks"):
                deliverer.deliver(two["id"])
                deliverer.deliver(one["id"])
            assert second.requests == []
            Webhook(one["secret"]).verify(first.taken()[0].body, first.taken()[0].headers)
            logged = [r.getMessage() for r in caplog.records if two["id"] in r.getMessage()]
            assert logged and "does not decrypt" in logged[0]
            after = SubscriptionStore(db).find("subscriber", two["id"])
            assert after is not None and after.state == "active" and after.cursor == two["cursor"]


def test_a_sealed_secret_without_the_key_is_not_sent_unsigned(
    database_url: str, key: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyed = api_settings(database_url, secrets_key_file=str(key), webhooks_in_serve=False, **QUICK)
    with receiving() as receiver:
        for api in running_api(keyed):
            made = subscribe(api.subscriber, receiver.url)
            births(api, 1)
            keyless = keyed.model_copy(update={"secrets_key_file": None})
            with caplog.at_level(logging.ERROR, logger="lifeledger.feed.webhooks"):
                Deliverer(keyless, api.context.projections.db).deliver(made["id"])
            assert receiver.requests == []
            assert any(
                made["id"] in r.getMessage() and "LIFELEDGER_SECRETS_KEY_FILE" in r.getMessage()
                for r in caplog.records
            )


def test_clear_secrets_of_before_are_sealed_once_a_key_is_configured(
    database_url: str, key: Path
) -> None:
    """Secrets written without a key (one of them paused, so never claimed) are sealed when
    the app starts with one; one written in clear later (by a process without the key) is
    sealed when claimed; each still signs as the secret shown at its creation."""
    db = ViewDatabase(database_url, pool_size=1)
    try:
        migrate(db)
        clear = SubscriptionStore(db)
        with receiving() as receiver:
            active, active_secret = clear.create("subscriber", receiver.url, (), (), 0)
            paused, _ = clear.create("subscriber", receiver.url, (), (), 0)
            clear.change("subscriber", paused.id, Changes(state=PAUSED))
            rows = db.rows("SELECT secret FROM api_subscription")
            assert {row["secret"][:6] for row in rows} == {"whsec_"}
            settings = api_settings(database_url, secrets_key_file=str(key), **QUICK)
            for api in running_api(settings):
                box = api.context.secret_box
                for sub_id in (active.id, paused.id):
                    assert stored_secret(api, sub_id).startswith("v1:")
                assert revealed(box, active.id, stored_secret(api, active.id)) == active_secret
                births(api, 1)
                request = taken(receiver, 1)[0]
                Webhook(active_secret).verify(request.body, request.headers)
                later, later_secret = clear.create("subscriber", receiver.url, (), (), 0)
                receiver.wait_until(lambda r: len(r.taken()) >= 2)  # claimed, then sent
                Webhook(later_secret).verify(receiver.taken()[1].body, receiver.taken()[1].headers)
                assert stored_secret(api, later.id).startswith("v1:")
                with pytest.raises(SecretUnreadable):
                    revealed(None, later.id, stored_secret(api, later.id))
    finally:
        db.close()


def test_keys_init_secrets_writes_a_private_file_once(tmp_path: Path, database_url: str) -> None:
    runner, key = CliRunner(), tmp_path / "secrets.key"
    env = {"LIFELEDGER_DATABASE_URL": database_url}
    unset = runner.invoke(app, ["keys", "init-secrets"], env=env)
    assert unset.exit_code == 2 and "LIFELEDGER_SECRETS_KEY_FILE" in unset.output
    env["LIFELEDGER_SECRETS_KEY_FILE"] = str(key)
    made = runner.invoke(app, ["keys", "init-secrets"], env=env)
    assert made.exit_code == 0, made.output
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_bytes()
    assert len(load_secret_box(key).key) == 32
    again = runner.invoke(app, ["keys", "init-secrets"], env=env)
    assert again.exit_code == 2 and "--force" in again.output
    assert key.read_bytes() == first
    key.chmod(0o644)
    forced = runner.invoke(app, ["keys", "init-secrets", "--force"], env=env)
    assert forced.exit_code == 0 and key.read_bytes() != first
    assert key.stat().st_mode & 0o777 == 0o600


def test_deliver_with_an_unreadable_secrets_key_is_a_usage_error(
    tmp_path: Path, database_url: str
) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    for path in (bad, tmp_path / "missing.key"):
        env = {"LIFELEDGER_DATABASE_URL": database_url, "LIFELEDGER_SECRETS_KEY_FILE": str(path)}
        done = CliRunner().invoke(app, ["deliver"], env=env)
        assert done.exit_code == 2 and "LIFELEDGER_SECRETS_KEY_FILE" in done.output
