"""The ledger's Ed25519 signing key and its signed digests.

The key lives in a file named by `LIFELEDGER_SIGNING_KEY_FILE` (PKCS #8 PEM, mode 0600), made
by `lifeledger keys init`; never in the database, so that someone who can rewrite the
database cannot sign a digest of what they wrote. Its `key_id` is the first 16 hex digits of
the SHA-256 of the raw 32-byte public key.

A digest signs these exact UTF-8 bytes (docs/audit.md, "Signed digests"):

    lifeledger-digest/1\\n
    ledger=<LIFELEDGER_EVENT_SOURCE>\\n
    tree_size=<decimal>\\n
    root_hash=<64 lowercase hex digits>\\n
    time=<YYYY-MM-DDTHH:MM:SSZ>\\n
    key_id=<16 lowercase hex digits>\\n
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lifeledger.private_files import PrivateFileError, write_private_file

DIGEST_FIELDS = ("ledger", "tree_size", "root_hash", "time", "key_id")


class KeyFileError(Exception):
    """A key file that cannot be made or read (the message says why)."""


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def init_key(path: Path, force: bool = False) -> str:
    """Make a new key in `path` (mode 0600; an existing file only with `force`); returns its
    key id."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        write_private_file(path, pem, force)
    except PrivateFileError as error:
        raise KeyFileError(str(error)) from None
    return key_id(raw_public(private.public_key()))


@dataclass(frozen=True)
class Signer:
    """The ledger's signing key, loaded."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return raw_public(self.private.public_key())

    @property
    def key_id(self) -> str:
        return key_id(self.public)

    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def digest(
        self, ledger: str, tree_size: int, root: bytes, when: datetime | None = None
    ) -> dict[str, Any]:
        """A signed digest of the tree of `tree_size` whose root is `root`."""
        moment = (when or datetime.now(UTC)).astimezone(UTC)
        body: dict[str, Any] = {
            "ledger": ledger,
            "tree_size": tree_size,
            "root_hash": root.hex(),
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key_id": self.key_id,
        }
        signature = self.private.sign(signed_bytes(body))
        return {**body, "signature": base64.b64encode(signature).decode()}


def load_signer(path: str | Path) -> Signer:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(
            f"cannot read the signing key {path}: {error.strerror or error}"
        ) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {error}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a key that is not Ed25519")
    return Signer(private)


def signed_bytes(digest: dict[str, Any]) -> bytes:
    """The exact bytes a digest's signature covers (see the module docstring)."""
    lines = ["lifeledger-digest/1", *(f"{name}={digest[name]}" for name in DIGEST_FIELDS)]
    return ("\n".join(lines) + "\n").encode()


def signature_holds(digest: dict[str, Any], public: bytes) -> bool:
    """Is the digest's signature valid for the raw public key `public` (and its key id)?"""
    try:
        key = Ed25519PublicKey.from_public_bytes(public)
        signature = base64.b64decode(str(digest["signature"]), validate=True)
        key.verify(signature, signed_bytes(digest))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return digest.get("key_id") == key_id(public)


def load_public(path: str | Path) -> bytes:
    """A raw public key from a file: PEM (SubjectPublicKeyInfo, as `GET /v1/ledger/public-key`
    gives it), or the private key file itself."""
    data = Path(path).read_bytes()
    if b"PRIVATE KEY" in data:
        return load_signer(path).public
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise KeyFileError(f"{path} is not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} holds a key that is not Ed25519")
    return raw_public(key)
