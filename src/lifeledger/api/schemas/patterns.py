"""The regular expressions of the OpenAPI document, each the exact form the server accepts:
the request models validate with these very patterns, so a request the document allows is
never refused as malformed, and one it forbids is never taken.

PINs name one of the known province codes; dates are calendar days from 1800 to 2099
written `YYYY-MM-DD` (partial dates also `YYYY` or `YYYY-MM`); names and codes hold no
control, format or line-separator character and not only spaces."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from lifeledger.domain.provinces import PROVINCES


def _alternation(words: list[str]) -> str:
    return "(?:" + "|".join(words) + ")"


PROVINCE = _alternation(sorted(PROVINCES))
PROVINCE_PATTERN = f"^{PROVINCE}$"
PIN_PATTERN = f"^{PROVINCE}[0-9]{{9}}$"
"""Twelve ASCII digits, the first three a known province code (`034209001234`)."""


# Dates: a year 1800..2099 (the ledger holds no fact before 1800, and none after today),
# and only days the calendar has, leap days included (2000 is a leap year, 1900 is not).
YEAR = "(?:1[89]|20)[0-9]{2}"
MONTH = "(?:0[1-9]|1[0-2])"
_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"  # the 1st to the 28th of any month
    "|(?:0[13-9]|1[0-2])-(?:29|30)"  # the 29th and 30th, but in February
    "|(?:0[13578]|1[02])-31)"  # the 31st of the long months
)
_LEAP_YEAR = "(?:(?:1[89]|20)(?:0[48]|[2468][048]|[13579][26])|2000)"
DAY = f"(?:{YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
DATE_PATTERN = f"^{DAY}$"
PARTIAL_DATE_PATTERN = f"^(?:{YEAR}(?:-{MONTH})?|{DAY})$"
FIRST_YEAR, LAST_YEAR = 1800, 2099


def _char_class(flags: bytes, start: int = 0) -> str:
    """The characters whose flag is set (`flags[i]` for code point `start + i`) as ranges
    for a `[...]` class, written as themselves: every regex dialect reads them alike."""
    runs = ((start + m.start(), start + m.end() - 1) for m in re.finditer(b"[^\\x00]+", flags))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


def _flags(test: Callable[[str], bool], codes: range) -> bytes:
    return bytes(map(test, map(chr, codes)))


# Control, format and separator characters lie in planes 0, 1 and 14 only (a scan of
# the whole code space would slow every start).
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
_PLANE_14 = range(0xE0000, 0xF0000)


def _invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE


INVISIBLE = _char_class(_flags(_invisible, range(0x20000))) + _char_class(
    _flags(_invisible, _PLANE_14), _PLANE_14.start
)
"""Control and format characters (a NUL, a tab, a newline, a zero-width space, a
byte-order mark, a bidirectional override) and the line and paragraph separators."""

NAME = f"[^{INVISIBLE}]*[^{INVISIBLE}\\s][^{INVISIBLE}]*"
NAME_PATTERN = f"^{NAME}$"
"""A name or a code: something visible, nothing invisible (see INVISIBLE)."""
OPTIONAL_NAME_PATTERN = f"^(?:{NAME})?$"
AUTHORITY_PATTERN = f"^{PROVINCE}-{NAME}$"
"""A registering authority: its province's code, a dash, its own code (`034-XA-DONGHOA`)."""
TEXT_PATTERN = "^[^\x00]*$"
"""Free text (a reason, a time): anything a store can hold, so no NUL character."""

USER_NAME_PATTERN = "^[!-~](?:[ -~]{0,62}[!-~])?$"
"""A new API user's name: 1 to 64 printable ASCII characters, no space at either end (an
exact class of every printable Unicode character is too large to generate from)."""

MEANINGS: dict[str, str] = {
    PIN_PATTERN: "is not a PIN: 12 ASCII digits, the first three a known province code",
    PROVINCE_PATTERN: "is not a known province code",
    DATE_PATTERN: "is not a calendar day YYYY-MM-DD from 1800 to 2099",
    PARTIAL_DATE_PATTERN: "is not a date YYYY, YYYY-MM or YYYY-MM-DD from 1800 to 2099",
    NAME_PATTERN: "must show a visible character and hold no control or format character",
    OPTIONAL_NAME_PATTERN: "must hold no control or format character, nor only spaces",
    AUTHORITY_PATTERN: "is not an authority: a known province code, '-', and the office's "
    "own code (034-XA-DONGHOA)",
    TEXT_PATTERN: "holds a NUL character",
    USER_NAME_PATTERN: "is not a new user's name: 1 to 64 printable ASCII characters, no "
    "space at either end",
}
"""What a value that does not match each pattern is not, for the refusal's message (the
patterns themselves are too long to show)."""
