"""Key files: written once, readable by their owner alone (the ledger's signing key, the
webhook secrets key)."""

from __future__ import annotations

import os
from pathlib import Path


class PrivateFileError(Exception):
    """A private file that cannot be written (the message says why)."""


def write_private_file(path: Path, data: bytes, force: bool = False) -> None:
    """Write `data` to a new file `path` with mode 0600; an existing file only with `force`
    (its mode made 0600 too)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileExistsError:
        raise PrivateFileError(f"{path} already exists; --force replaces it") from None
    except OSError as error:
        raise PrivateFileError(f"cannot write {path}: {error.strerror or error}") from None
    with os.fdopen(descriptor, "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # a file replaced with --force may have had another mode
        out.write(data)
