"""The scanned page a line names (`source.scan`: a path and its SHA-256), and what checking a
line may do with it.

A line is input from whoever wrote the export, so the path in it never reaches an `open`
as given. Over HTTP nothing is opened at all (`Scans()`): the path and hash are recorded as
the line states them. On the CLI (`Scans.beside_exports`) the path is resolved inside the
export file's own folder, on the operator's own disk: an absolute path, a `..` part, a path
whose real location (symlinks followed) is outside that folder, anything but a regular file,
and the ledger's own database files are refused; a file that is not there is "not at hand"
and not checked; one that is there is hashed in blocks and must match.

Never opening the database matters beyond secrecy: closing any descriptor of a file drops
every POSIX lock the process holds on it, SQLite's included.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, NoReturn

from lifeledger.database_url import DatabaseUrl
from lifeledger.domain.errors import InvalidEntry

FIELD = "source.scan.path"
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""


@dataclass(frozen=True)
class Scans:
    """What checking a line does with its scan: nothing (`opened` false), or look for it
    beside the export, never at one of the `protected` files (real paths, and (device,
    inode) of those that exist, so that a hard link to one is known too)."""

    opened: bool = False
    protected: frozenset[str] = frozenset()
    protected_files: frozenset[tuple[int, int]] = frozenset()

    @classmethod
    def beside_exports(cls, database_url: str) -> Scans:
        """Scans looked for in each export's folder; the ledger's own files are never read."""
        url = DatabaseUrl.parse(database_url)
        if url.is_postgres:
            return cls(opened=True)
        database = os.path.realpath(url.path)
        names = frozenset(database + suffix for suffix in SQLITE_COMPANIONS)
        files = set()
        for name in names:
            try:
                info = os.stat(name)
            except OSError:
                continue  # not there (yet): refused by its name
            files.add((info.st_dev, info.st_ino))
        return cls(opened=True, protected=names, protected_files=frozenset(files))

    def check(self, scan: Any, export: str) -> None:
        """When the scan named by a line of `export` is at hand, its hash must be the one
        the line gives."""
        if not self.opened or not isinstance(scan, dict) or not scan.get("path"):
            return
        given = str(scan["path"])
        found = self._find(given, export)
        if found is None or not scan.get("sha256"):
            return
        digest = self._digest(found, given)
        if digest != str(scan["sha256"]).lower():
            raise InvalidEntry(
                f"source.scan: {given} has sha256 {digest}, not {scan['sha256']}",
                field="source.scan.sha256",
            )

    def _find(self, given: str, export: str) -> str | None:
        """The real path of the scan, or None when it is not there; refuses a path that
        leaves the export's folder or names what is never a scan."""
        if "\x00" in given or given.startswith("/") or ".." in PurePosixPath(given).parts:
            _refuse(given, "must be a path inside the export's folder (not absolute, no '..')")
        folder = _real_folder(export)
        found = os.path.realpath(os.path.join(folder, given))
        if os.path.commonpath([folder, found]) != folder:
            _refuse(given, "leads outside the export's folder")
        if found in self.protected:
            _refuse(given, "is the ledger's own database")
        try:
            info = os.stat(found)
        except OSError:
            return None  # not at hand: not checked
        self._allow(info, given)
        return found

    def _allow(self, info: os.stat_result, given: str) -> None:
        if not stat.S_ISREG(info.st_mode):
            _refuse(given, "is not a regular file")
        if (info.st_dev, info.st_ino) in self.protected_files:
            _refuse(given, "is the ledger's own database")

    def _digest(self, found: str, given: str) -> str:
        """SHA-256 of the file, read in blocks. A file swapped in since it was looked at is
        still refused (though opened), and a FIFO swapped in cannot block the open."""
        try:
            descriptor = os.open(found, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            _refuse(given, "cannot be read")
        with os.fdopen(descriptor, "rb") as scan:
            self._allow(os.fstat(descriptor), given)
            return hashlib.file_digest(scan, "sha256").hexdigest()


@functools.lru_cache(maxsize=64)
def _real_folder(export: str) -> str:
    return os.path.realpath(os.path.dirname(os.path.abspath(export)))


def _refuse(given: str, why: str) -> NoReturn:
    raise InvalidEntry(f"{FIELD}: {given!r} {why}", field=FIELD)
