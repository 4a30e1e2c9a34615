"""Webhook signing secrets at rest: the one rule for what `api_subscription.secret` holds.

With a secrets key (`LIFELEDGER_SECRETS_KEY_FILE`, made by `lifeledger keys init-secrets`: 32
random bytes in base64, mode 0600, never in the database), a secret is stored sealed with
AES-256-GCM as

    v1:<base64(nonce (12 bytes) || ciphertext || tag (16 bytes))>

with the subscription's id as associated data: a sealed secret copied onto another
subscription's row does not open there. A database dump or backup alone then forges no
webhook. Without a key, secrets are stored in clear (`whsec_…`, as Standard Webhooks gives
them): for the demo and tests only, never for production (docs/security.md).

The version prefix tells the two apart (a clear secret always starts `whsec_`) and leaves room
for another scheme or key later."""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lifeledger.private_files import PrivateFileError, write_private_file

SEALED_PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_SETTING = "LIFELEDGER_SECRETS_KEY_FILE"


class SecretsKeyError(Exception):
    """A secrets key file that cannot be made or read (the message says why)."""


class SecretUnreadable(Exception):
    """A stored secret that cannot be opened (the message says why, naming no secret)."""


def is_sealed(stored: str) -> bool:
    """Whether a stored secret is sealed (else it is in clear)."""
    return stored.startswith(SEALED_PREFIX)


@dataclass(frozen=True)
class SecretBox:
    """The secrets key, loaded: seals and opens subscriptions' secrets."""

    key: bytes

    def seal(self, sub_id: str, secret: str) -> str:
        """The stored form of `secret` for subscription `sub_id` (a new nonce each time)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.key).encrypt(nonce, secret.encode(), sub_id.encode())
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, sub_id: str, stored: str) -> str:
        """The secret sealed in `stored` for `sub_id`; `SecretUnreadable` when it was sealed
        with another key or for another subscription, or is damaged."""
        try:
            raw = base64.b64decode(stored.removeprefix(SEALED_PREFIX), validate=True)
            nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
            return AESGCM(self.key).decrypt(nonce, sealed, sub_id.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag):
            raise SecretUnreadable(
                f"its stored secret does not decrypt with the key in {KEY_SETTING}: it was "
                "sealed with another key or for another subscription, or it is damaged "
                "(rotate the secret to make a new one)"
            ) from None


def stored_form(box: SecretBox | None, sub_id: str, secret: str) -> str:
    """What `api_subscription.secret` holds for `secret`: sealed with a key, else in clear."""
    return box.seal(sub_id, secret) if box is not None else secret


def revealed(box: SecretBox | None, sub_id: str, stored: str) -> str:
    """The secret to sign with from its stored form; `SecretUnreadable` when it is sealed and
    there is no key, or it does not open with this one."""
    if not is_sealed(stored):
        return stored
    if box is None:
        raise SecretUnreadable(
            f"its stored secret is encrypted but {KEY_SETTING} is not set in this process"
        )
    return box.open(sub_id, stored)


def init_secrets_key(path: Path, force: bool = False) -> None:
    """Make a new secrets key in `path` (mode 0600; an existing file only with `force`)."""
    text = base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n"
    try:
        write_private_file(path, text, force)
    except PrivateFileError as error:
        raise SecretsKeyError(str(error)) from None


def load_secret_box(path: str | Path) -> SecretBox:
    """The secrets key in `path` (32 bytes in base64, as `init_secrets_key` writes it)."""
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise SecretsKeyError(
            f"cannot read the secrets key {path}: {error.strerror or error}"
        ) from None
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretsKeyError(
            f"{path} does not hold a 256-bit key in base64 "
            "(`lifeledger keys init-secrets` makes one)"
        )
    return SecretBox(key)


def configured_box(key_file: str | None) -> SecretBox | None:
    """The box of the configured secrets key, or None when none is configured."""
    return load_secret_box(key_file) if key_file else None
