"""An entry's values as the ledger keeps them: within bounds, storable, and in one canonical form.

One walk over the whole entry (every import line and HTTP body passes it) refuses what no
store can hold and what exceeds the bounds, and, for `parse_act`, refuses control and
invisible characters and brings text into its canonical form (`domain/text.py`): the same
act typed twice in different Unicode forms has one content and one content hash.
"""

from __future__ import annotations

import math
from typing import Any
from unicodedata import is_normalized, normalize

from lifeledger.domain.errors import InvalidEntry, InvalidText, LimitExceeded
from lifeledger.domain.text import canonical_label, canonical_text, refused_character

MAX_DEPTH = 20
"""Deepest nesting of objects and lists an entry may have."""
MAX_VALUES = 1_000
"""Most values (object members and list items, at every level) an entry may hold in all: a
birth holds about 40, a correction of 100 changes about 420."""
MAX_LABEL = 200
"""Longest name or code (a `LABEL_KEYS` field, or any object key), in characters."""
MAX_TEXT = 4_000
"""Longest other text (a reason, a cause, a field of `extra`), in characters."""
MAX_INTEGER = 2**63 - 1
"""Largest integer (either sign) an entry may hold: what every JSON reader holds exactly."""
RESERVED_KEY = "_type_"
"""The event store's JSON marks the values it encodes (a time, a UUID) with this key: an
entry's object holding it would be read back as such a value, or not at all."""

LABEL_KEYS = frozenset(
    {
        # a person's name and places (`acts.PERSON_TEXT_FIELDS` and `full_name`)
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "birth_place",
        "hometown",
        "ethnicity",
        "nationality",
        "residence",
        # a registration reference (`acts.REFERENCE_KEYS`) and other names and codes
        "authority",
        "book",
        "number",
        "authority_name",
        "decision",
        "basis",
        "name",
        "place",
        "notice",
        "system",
        "regime",
        "entered_by",
    }
)
"""Fields holding a name or a code, wherever they are: one line, single-spaced, trimmed,
at most MAX_LABEL characters. A correction's `before` and `after` take the form of the
field they change."""
CHANGE_VALUES = ("before", "after")


class _Refused(Exception):
    """A refusal on its way out of the walk, collecting its path (innermost part first)."""

    def __init__(self, reason: str, error: type[InvalidEntry] = InvalidEntry) -> None:
        super().__init__(reason)
        self.reason, self.error = reason, error
        self.parts: list[str] = []


def check_storable(value: object, where: str = "") -> None:
    """Refuse what no store or JSON answer can hold, or what exceeds the bounds, naming where
    it is: NUL characters (PostgreSQL refuses them), unpaired surrogates, NaN/Infinity,
    integers beyond MAX_INTEGER, nesting deeper than MAX_DEPTH, more than MAX_VALUES values,
    text longer than MAX_LABEL/MAX_TEXT, objects with the event store's RESERVED_KEY."""
    _run(_Walk(canonical=False), value, where)


def canonical_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry checked as `check_storable` does, its text free of control and invisible
    characters (`text.REFUSED_CATEGORIES`) and in canonical form: NFC everywhere, names and
    codes (`LABEL_KEYS`) as labels. The entry itself is left as it is; a part that changes
    is copied."""
    canonical: dict[str, Any] = _run(_Walk(canonical=True), entry, "")
    return canonical


def _run(walk: _Walk, value: Any, where: str) -> Any:
    try:
        return walk.value(value, 0, False)
    except _Refused as refused:
        parts = reversed(refused.parts)
        path = ".".join([where, *parts] if where else parts)
        raise refused.error(f"{path or 'entry'}: {refused.reason}", field=path or None) from None


class _Walk:
    """Walks one entry; a refusal names its path on the way back out (most entries pass, so
    no path is built for a field that passes)."""

    def __init__(self, canonical: bool) -> None:
        self.canonical = canonical
        self.values = 0

    def value(self, value: Any, depth: int, label: bool) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels", LimitExceeded)
        kind = type(value)
        if kind is str:
            return self.text(value, label)
        if kind is dict:
            return self.mapping(value, depth)
        if kind is list:
            return self.items(value, depth)
        if kind is int and not -MAX_INTEGER <= value <= MAX_INTEGER:
            raise _Refused(f"integers must lie within ±{MAX_INTEGER}", LimitExceeded)
        if kind is float and not math.isfinite(value):
            raise _Refused("numbers must be finite")
        if kind in _SCALARS:
            return value
        return self.value(_json_type(value), depth, label)

    def mapping(self, value: dict[Any, Any], depth: int) -> dict[Any, Any]:
        self.count(len(value))
        if RESERVED_KEY in value:
            reason = "is reserved (the event store marks the values it encodes with it)"
            raise _Refused(f"the key {RESERVED_KEY!r} {reason}")
        changes_a_label = "field" in value and _changes_a_label(value)
        copy: dict[Any, Any] | None = None
        for key, item in value.items():
            if type(key) is not str or not (len(key) <= MAX_LABEL and key.isprintable()):
                self.key(key)  # a bad key is named by its object's path
            kind = type(item)
            if item is None or kind is bool:
                continue
            label = key in LABEL_KEYS or (changes_a_label and key in CHANGE_VALUES)
            try:
                if kind is str and depth < MAX_DEPTH:
                    canonical = self.text(item, label)
                else:
                    canonical = self.value(item, depth + 1, label)
            except _Refused as refused:
                refused.parts.append(str(key))
                raise
            if canonical is not item:
                copy = dict(value) if copy is None else copy
                copy[key] = canonical
        return value if copy is None else copy

    def items(self, value: list[Any], depth: int) -> list[Any]:
        self.count(len(value))
        copy: list[Any] | None = None
        for index, item in enumerate(value):
            try:
                canonical = self.value(item, depth + 1, False)
            except _Refused as refused:
                refused.parts.append(str(index))
                raise
            if canonical is not item:
                copy = list(value) if copy is None else copy
                copy[index] = canonical
        return value if copy is None else copy

    def count(self, values: int) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise _Refused(f"an entry may hold at most {MAX_VALUES} values in all", LimitExceeded)

    def key(self, key: Any) -> None:
        if type(key) is not str:
            raise _Refused(f"a key must be text, not {type(key).__name__}")
        self.text(key, False, MAX_LABEL)

    def text(self, text: str, label: bool, limit: int = 0) -> str:
        limit = limit or (MAX_LABEL if label else MAX_TEXT)
        if len(text) > 4 * limit:  # refused before anything reads a huge text through
            raise _Refused(f"text longer than {limit} characters", LimitExceeded)
        if text.isprintable():  # the usual case: its only spaces are ASCII spaces
            if self.canonical:
                if not (text.isascii() or is_normalized("NFC", text)):
                    text = normalize("NFC", text)
                if label and (text[:1] == " " or text[-1:] == " " or "  " in text):
                    text = canonical_label(text)
        else:  # a space beyond ASCII's, or a refused character
            self.unprintable(text)
            if self.canonical:
                text = canonical_label(text) if label else canonical_text(text)
        if len(text) > limit and len(canonical_text(text)) > limit:
            raise _Refused(f"text longer than {limit} characters", LimitExceeded)
        return text

    def unprintable(self, text: str) -> None:
        """Refuse text no store holds and (for the canonical form) control and invisible
        characters; what is left is spaces other than ASCII's."""
        if "\x00" in text:
            raise _Refused("text contains a NUL character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused("text is not valid Unicode") from None
        if self.canonical and (reason := refused_character(text)) is not None:
            raise _Refused(f"text {reason}", InvalidText)


_SCALARS = (bool, int, float, type(None))


def _json_type(value: Any) -> Any:
    """A value of a subclass of a JSON type as that type (a `StrEnum` as text, ...)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return float(value) if isinstance(value, float) else int(value)
    raise _Refused(f"{type(value).__name__} is not a JSON value")


def _changes_a_label(value: dict[Any, Any]) -> bool:
    """Is this a correction's change of a name or a code (`{"field": "child.given_name",
    "before": ..., "after": ...}`)?"""
    field = value.get("field")
    return isinstance(field, str) and field.rpartition(".")[2] in LABEL_KEYS
