"""The rule for webhook secrets at rest (`feed.secret_box`): sealed for one subscription with
one key, opened only by both; in clear without a key; a key file that is not one is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifeledger.feed.secret_box import (
    SecretBox,
    SecretsKeyError,
    SecretUnreadable,
    init_secrets_key,
    load_secret_box,
    revealed,
    stored_form,
)
from lifeledger.feed.subscriptions import new_secret

BOX, OTHER_BOX = SecretBox(bytes(range(32))), SecretBox(bytes(32))


def test_a_sealed_secret_opens_only_for_its_subscription_with_its_key() -> None:
    secret = new_secret()
    stored = stored_form(BOX, "sub_a", secret)
    assert stored.startswith("v1:") and secret not in stored
    assert stored != stored_form(BOX, "sub_a", secret)  # a new nonce each time
    assert revealed(BOX, "sub_a", stored) == secret
    for box, sub_id in ((BOX, "sub_b"), (OTHER_BOX, "sub_a"), (None, "sub_a")):
        with pytest.raises(SecretUnreadable):
            revealed(box, sub_id, stored)
    damaged = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    for bad in (damaged, "v1:not base64!", "v1:"):
        with pytest.raises(SecretUnreadable):
            revealed(BOX, "sub_a", bad)


def test_without_a_key_a_secret_is_stored_and_read_in_clear() -> None:
    secret = new_secret()
    assert stored_form(None, "sub_a", secret) == secret
    assert revealed(None, "sub_a", secret) == revealed(BOX, "sub_a", secret) == secret


def test_a_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    made = tmp_path / "secrets.key"
    init_secrets_key(made)
    assert len(load_secret_box(made).key) == 32
    short = tmp_path / "short.key"
    short.write_text("c2hvcnQ=\n")
    for path in (short, tmp_path / "missing.key"):
        with pytest.raises(SecretsKeyError):
            load_secret_box(path)
    with pytest.raises(SecretsKeyError, match="--force"):
        init_secrets_key(made)
