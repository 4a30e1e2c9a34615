"""An act as the ledger holds it (`Act`: its kind, registration reference, dates, the persons
it names and its whole entry as content), the names of an entry's fields, and the content
hash that tells a duplicate from a conflict. An entry becomes an act in `entry_reader`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from lifeledger.domain.dates import PartialDate
from lifeledger.domain.pin import Pin

PARENT_ROLES = ("mother", "father", "adoptive_mother", "adoptive_father")
PERSON_FIELDS = (
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "sex",
    "birth_date",
    "birth_year",
    "birth_place",
    "hometown",
    "ethnicity",
    "nationality",
    "residence",
)
PERSON_TEXT_FIELDS = tuple(
    f for f in PERSON_FIELDS if f not in ("full_name", "sex", "birth_date", "birth_year")
)
"""A person's fields that are free text (a name part, a place): given, they must be text."""
REFERENCE_KEYS = ("authority", "book", "number")
LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://lifeledger.example/ledger")


@lru_cache(maxsize=200_000)
def ledger_id(*parts: str) -> UUID:
    """A deterministic aggregate id: the store's uniqueness of ids enforces the natural key."""
    return uuid5(LEDGER_NAMESPACE, "|".join(parts))


@dataclass(frozen=True)
class Reference:
    """Registration reference: (authority, book, number) identify the act."""

    authority: str
    book: str
    number: str

    @property
    def label(self) -> str:
        return f"{self.authority}/{self.book}/{self.number}"

    @property
    def province(self) -> str:
        """The registering authority's province (`authority_province`)."""
        return self.authority[:3]

    @property
    def act_id(self) -> UUID:
        return ledger_id("act", self.authority, self.book, self.number)

    def as_dict(self) -> dict[str, str]:
        return {"authority": self.authority, "book": self.book, "number": self.number}

    @classmethod
    def at(cls, content: dict[str, Any], path: str) -> Reference:
        """The reference written under `path` of an entry (`register`, `target`, `marriage`)."""
        return cls(*(str(get_path(content, f"{path}.{key}")) for key in REFERENCE_KEYS))


@dataclass(frozen=True)
class PersonRef:
    """A person as an act names them: by PIN where known, else by name and birth year."""

    pin: Pin | None
    full_name: str
    sex: str | None = None
    birth_date: PartialDate | None = None

    @property
    def named_pin(self) -> str:
        """The PIN, as text, of a person the act must name by PIN (the entry reader refused
        an entry without it)."""
        assert self.pin is not None
        return self.pin.value


@dataclass(frozen=True)
class Act:
    """A validated act, ready for the rules. Its kind and the keys of `persons` are plain
    text (the values of `ActKind` and `PartyRole`, or `spouse0`/`spouse1`): a checked act is
    pickled on its way to the sort stage, where an enum member would pickle as a reference."""

    kind: str
    reference: Reference
    registered_on: date
    fact_date: PartialDate
    content: dict[str, Any]
    persons: dict[str, PersonRef] = field(default_factory=dict)
    content_hash: str = ""

    @property
    def pins(self) -> list[str]:
        return sorted({p.pin.value for p in self.persons.values() if p.pin is not None})

    def sort_key(self) -> tuple[date, date, str, str, str, str]:
        """Fact date, then registration date and reference: the order rules are applied in."""
        ref = self.reference
        return (
            self.fact_date.earliest,
            self.registered_on,
            ref.authority,
            ref.book,
            ref.number,
            self.content_hash,
        )

    def get(self, path: str) -> Any:
        return get_path(self.content, path)

    @property
    def guardianship_kind(self) -> str:
        """`minor` (the default) or why an adult needs a guardian (`incapacity`, …). The
        format's `kind` is taken by the act's kind, so it is read from `guardianship.kind`."""
        return str(self.get("guardianship.kind") or self.get("guardianship_kind") or "minor")


def is_whole_number(value: Any, digits: int) -> bool:
    """Is this a whole number of at most `digits` digits (as a number or as text of ASCII
    digits: `"²".isdigit()` is true, and Python refuses to read a number of 4,300 digits)?"""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return 0 < len(text) <= digits and text.isascii() and text.isdigit()


def get_path(content: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (`child.given_name`, `spouses.0.pin`), or None."""
    node: Any = content
    for part in _path_parts(path):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


@lru_cache(maxsize=4096)
def _path_parts(path: str) -> list[str]:
    return path.split(".")


def content_hash(content: dict[str, Any]) -> str:
    """Hash of what the act says, leaving out who typed it in: the same act entered
    twice is a duplicate, not a conflict."""
    relevant = {k: v for k, v in content.items() if k not in ("entered_by", "extra")}
    canonical = json.dumps(relevant, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
