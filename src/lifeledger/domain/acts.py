"""An act as it reaches the ledger: parsed from the register export format, validated.

`parse_act(raw)` is the one gate between outside data (an import line, an HTTP
body) and the rules: it checks the shape, the PINs and the dates, and names the
offending field. The act keeps the whole entry as its content, so nothing the
register said is dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from lifeledger.domain.canonical import MAX_DEPTH as MAX_DEPTH
from lifeledger.domain.canonical import canonical_entry
from lifeledger.domain.canonical import check_storable as check_storable
from lifeledger.domain.dates import PartialDate, today
from lifeledger.domain.errors import (
    DateAfterRegistration,
    DateInFuture,
    InvalidAuthority,
    InvalidDate,
    InvalidEntry,
    ProvinceMismatch,
)
from lifeledger.domain.pin import Pin
from lifeledger.domain.provinces import PROVINCES
from lifeledger.domain.vocabulary import ActKind

KINDS = tuple(ActKind)
SOURCES = ("live", "digitized", "court", "abroad", "reconciliation")
PARENT_ROLES = ("mother", "father", "adoptive_mother", "adoptive_father")
CORRECTION_KINDS = ("change", "correct", "supplement", "ethnicity", "sex")
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
    """A validated act, ready for the rules."""

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


class _Reader:
    """Reads fields of an entry in canonical form, naming the field in every error; keeps the
    dates the act states (`dates`), which no date may follow but its registration."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.dates: dict[str, PartialDate] = {}

    def value(self, path: str, required: bool = False) -> Any:
        value = get_path(self.raw, path)
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            raise InvalidEntry(f"{path}: required field is missing", field=path)
        return value

    def text(self, path: str) -> str | None:
        """Text, when given: a number or a truth value is not text."""
        return _as_text(self.value(path), path)

    def required_text(self, path: str) -> str:
        text = _as_text(self.value(path, required=True), path)
        return "" if text is None else text  # never None: a missing value was refused

    def birth_year(self, path: str) -> int | None:
        """A year as digits (a number or text), as a date's year must be."""
        value = self.value(path)
        if value is None:
            return None
        if not is_whole_number(value, 4):
            raise InvalidEntry(f"{path}: {_shown(value)} is not a year", field=path)
        year = self.keep(path, PartialDate.parse(str(value), path))
        return year.year

    def page(self, path: str) -> None:
        value = self.value(path)
        if value is not None and not (is_whole_number(value, 5) and int(value) > 0):
            raise InvalidEntry(f"{path}: {_shown(value)} is not a page number", field=path)

    def mapping(self, path: str) -> dict[str, Any] | None:
        value = self.value(path)
        if value is not None and not isinstance(value, dict):
            raise InvalidEntry(
                f"{path}: expected an object, got {type(value).__name__}", field=path
            )
        return value

    def partial_date(self, path: str) -> PartialDate | None:
        """A (partial) date the act states, when given."""
        value = self.value(path)
        return None if value in (None, "") else self.keep(path, PartialDate.parse(value, path))

    def required_date(self, path: str) -> PartialDate:
        return self.keep(path, PartialDate.parse(self.value(path, required=True), path))

    def keep(self, path: str, stated: PartialDate) -> PartialDate:
        self.dates[path] = stated
        return stated

    def registration_date(self, path: str) -> date:
        """The day of the registration: a full date, not after today."""
        partial = PartialDate.parse(self.value(path, required=True), path)
        if not partial.is_exact:
            raise InvalidDate(f"{path}: {partial} must be a full date YYYY-MM-DD", field=path)
        if partial.earliest > today():
            raise DateInFuture(
                f"{path}: {partial} is after today ({today()} in UTC+14, where it is latest)",
                field=path,
            )
        return partial.earliest

    def check_dates(self, registered_on: date) -> None:
        """No date the act states (its fact, a birth, a death, a court's decision, a corrected
        date) may follow the act's registration, nor therefore today."""
        for path, stated in self.dates.items():
            if stated.earliest > registered_on:
                raise DateAfterRegistration(
                    f"{path}: {stated} is after the act's registration ({registered_on})",
                    field=path,
                )

    def choice(self, path: str, allowed: tuple[str, ...]) -> str:
        value = self.required_text(path)
        if value not in allowed:
            raise InvalidEntry(
                f"{path}: {_shown(value)} is not one of {', '.join(allowed)}", field=path
            )
        return value

    def optional_choice(self, path: str, allowed: tuple[str, ...]) -> str | None:
        return None if self.value(path) is None else self.choice(path, allowed)

    def person(self, path: str, pin_required: bool = True) -> PersonRef:
        node = self.value(path)
        if node is None:
            raise InvalidEntry(f"{path}: required person is missing", field=path)
        if not isinstance(node, dict):
            raise InvalidEntry(f"{path}: expected a person object", field=path)
        full_name = self.required_text(f"{path}.full_name")
        for name in PERSON_TEXT_FIELDS:
            if type(node.get(name)) not in (str, type(None)):  # the path is built when refused
                _as_text(node.get(name), f"{path}.{name}")
        sex = self.optional_choice(f"{path}.sex", ("M", "F"))
        birth_date = self.partial_date(f"{path}.birth_date")
        birth_year = self.birth_year(f"{path}.birth_year")
        year = birth_date.year if birth_date else birth_year
        if birth_date and birth_year and birth_year != birth_date.year:
            raise InvalidEntry(
                f"{path}: birth_year {birth_year} disagrees with birth_date {birth_date}",
                field=f"{path}.birth_year",
            )
        pin_text = self.value(f"{path}.pin", required=pin_required)
        pin = None
        if pin_text not in (None, ""):
            pin = Pin.parse(pin_text, f"{path}.pin")
            pin.check_agrees(sex, year, f"{path}.pin")
        if birth_date is None and year is not None:
            birth_date = PartialDate(year)
        return PersonRef(pin, full_name, sex, birth_date)

    def optional_person(self, path: str) -> PersonRef | None:
        return None if self.value(path) is None else self.person(path, pin_required=False)

    def reference(self, path: str) -> Reference:
        authority, book, number = (self.required_text(f"{path}.{key}") for key in REFERENCE_KEYS)
        authority_province(authority, f"{path}.authority")
        return Reference(authority, book, number)

    def province(self, path: str, reference: Reference) -> None:
        """The stated province of the registering authority, when given, is the authority's."""
        stated = self.text(path)
        if stated is None or stated == reference.province:
            return
        if PROVINCE_FORM.fullmatch(stated) is None:
            raise InvalidEntry(f"{path}: {_shown(stated)} is not a 3-digit code", field=path)
        raise ProvinceMismatch(
            f"{path}: {stated} is not the province of authority {reference.authority} "
            f"({reference.province})",
            field=path,
            province=stated,
            authority=reference.authority,
        )


def _as_text(value: Any, path: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidEntry(f"{path}: expected text, got {type(value).__name__}", field=path)
    return value


def _shown(value: Any) -> str:
    """A refused value as a refusal repeats it: its start only (text may be long)."""
    return repr(value)[:40]


PROVINCE_FORM = re.compile(r"[0-9]{3}")


def authority_province(authority: str, field: str = "register.authority") -> str:
    """The province of a registering authority: the known province code its own code begins
    with, followed by '-' and the office (`034-XA-DONGHOA`); else InvalidAuthority naming
    `field`. The jurisdiction of a write is this province."""
    if len(authority) < 5 or authority[3] != "-" or authority[:3] not in PROVINCES:
        raise InvalidAuthority(
            f"{field}: {_shown(authority)} does not begin with a known province code and '-' "
            "(e.g. 034-XA-DONGHOA)",
            field=field,
            authority=authority[:40],
        )
    return authority[:3]


def parse_act(raw: object) -> Act:
    """Validate one entry of the register export format and return the act it states, its
    content in canonical form (`canonical.canonical_entry`)."""
    if not isinstance(raw, dict):
        raise InvalidEntry("an entry must be a JSON object")
    entry = canonical_entry(raw)
    kind = _Reader(entry).choice("kind", KINDS)
    entry = unknown_under_extra(entry, kind)
    read = _Reader(entry)
    reference = read.reference("register")
    registered_on = read.registration_date("register.registered_on")
    read.province("register.province", reference)
    read.page("register.page")
    for path in ("register.authority_name", "entered_by", "source.system", "source.regime"):
        read.text(path)
    read.mapping("source")
    read.optional_choice("source.kind", SOURCES)
    persons, fact_date = _KIND_READERS[kind](read)
    occurred_on = read.partial_date("occurred_on")
    read.check_dates(registered_on)
    fact_date = fact_date or occurred_on or PartialDate.of(registered_on)
    return Act(kind, reference, registered_on, fact_date, entry, persons, content_hash(entry))


Persons = dict[str, PersonRef]

ENTRY_KEYS = frozenset({"kind", "register", "occurred_on", "source", "entered_by", "extra"})
KIND_KEYS: dict[str, frozenset[str]] = {
    "birth": frozenset({"child", "mother", "father"}),
    "marriage": frozenset({"spouses"}),
    "divorce": frozenset({"marriage", "spouses", "court", "annulment"}),
    "death": frozenset({"deceased", "death"}),
    "parentage": frozenset({"parent", "child", "role", "decision"}),
    "adoption": frozenset({"parent", "child", "role", "decision"}),
    "guardianship_opened": frozenset({"ward", "guardian", "guardianship", "guardianship_kind"}),
    "guardianship_ended": frozenset({"ward", "guardian", "guardianship", "guardianship_kind"}),
    "correction": frozenset(
        {"target", "subject_pin", "correction_kind", "changes", "reason", "basis"}
    ),
}
"""The top-level fields of each kind of entry (`import-format.md`)."""


def unknown_under_extra(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    """The entry with its unknown top-level fields moved under `extra`, as the format says:
    kept, never dropped, and (like `extra` itself) left out of the content hash, so the same
    act exported again with a new column is a duplicate, not a conflict. A field whose name
    `extra` holds already, or any field when `extra` is no object, stays where it is."""
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        return raw
    known = ENTRY_KEYS | KIND_KEYS[kind]
    moving = [key for key in raw if key not in known and key not in extra]
    if not moving:
        return raw
    entry = {key: value for key, value in raw.items() if key not in moving}
    entry["extra"] = {**extra, **{key: raw[key] for key in moving}}
    return entry


def _birth(read: _Reader) -> tuple[Persons, PartialDate | None]:
    child = read.person("child")
    if child.sex is None:
        raise InvalidEntry("child.sex: required field is missing", field="child.sex")
    born = read.partial_date("child.birth_date") or read.required_date("occurred_on")
    if child.pin is not None:  # always: a child's PIN is required
        child.pin.check_agrees(None, born.year, "child.pin")
    persons: Persons = {"child": PersonRef(child.pin, child.full_name, child.sex, born)}
    for role in ("mother", "father"):
        parent = read.optional_person(role)
        if parent is not None:
            persons[role] = parent
    return persons, born


def _marriage(read: _Reader) -> tuple[Persons, PartialDate | None]:
    spouses = read.value("spouses", required=True)
    if not isinstance(spouses, list) or len(spouses) != 2:
        raise InvalidEntry("spouses: a marriage names exactly two spouses", field="spouses")
    persons: Persons = {f"spouse{i}": read.person(f"spouses.{i}") for i in (0, 1)}
    if persons["spouse0"].pin == persons["spouse1"].pin:
        raise InvalidEntry("spouses: both spouses have the same PIN", field="spouses.1.pin")
    return persons, read.required_date("occurred_on")


def _divorce(read: _Reader) -> tuple[Persons, PartialDate | None]:
    persons: Persons = {}
    if read.value("marriage") is not None:
        read.reference("marriage")
    else:
        spouses = read.value("spouses", required=True)
        if not isinstance(spouses, list) or len(spouses) != 2:
            raise InvalidEntry(
                "spouses: a divorce names the marriage or its two spouses", field="spouses"
            )
        for i, spouse in enumerate(spouses):
            if isinstance(spouse, dict):
                pin = Pin.parse(spouse.get("pin"), f"spouses.{i}.pin")
            else:
                pin = Pin.parse(spouse, f"spouses.{i}")
            persons[f"spouse{i}"] = PersonRef(pin, "")
    read.mapping("court")
    read.required_text("court.decision")
    read.text("court.name")
    return persons, read.required_date("court.effective_on")


def _death(read: _Reader) -> tuple[Persons, PartialDate | None]:
    deceased = read.person("deceased")
    read.mapping("death")
    return {"deceased": deceased}, read.required_date("death.date")


def _parentage(read: _Reader) -> tuple[Persons, PartialDate | None]:
    role = read.choice("role", PARENT_ROLES)
    adoption = role.startswith("adoptive")
    if adoption != (read.value("kind") == "adoption"):
        kind = "adoption" if adoption else "parentage"
        raise InvalidEntry(f"role: a {role} is recorded by an act of kind {kind}", field="role")
    parent = read.person("parent")
    child = read.person("child")
    if parent.pin == child.pin:
        raise InvalidEntry("parent.pin: a person cannot be their own parent", field="parent.pin")
    if parent.sex is not None and parent.sex != ("F" if role.endswith("mother") else "M"):
        raise InvalidEntry(
            f"role: a {role} must be {'F' if role.endswith('mother') else 'M'}", field="role"
        )
    read.text("decision")
    return {"parent": parent, "child": child}, None


def _guardianship(read: _Reader) -> tuple[Persons, PartialDate | None]:
    ward = read.person("ward")
    guardian = read.person("guardian")
    if ward.pin == guardian.pin:
        raise InvalidEntry(
            "guardian.pin: a person cannot be their own guardian", field="guardian.pin"
        )
    read.mapping("guardianship")
    read.text("guardianship.kind")
    read.text("guardianship_kind")
    return {"ward": ward, "guardian": guardian}, None


def _correction(read: _Reader) -> tuple[Persons, PartialDate | None]:
    read.reference("target")
    subject = Pin.parse(read.value("subject_pin", required=True), "subject_pin")
    read.choice("correction_kind", CORRECTION_KINDS)
    changes = read.value("changes", required=True)
    if not isinstance(changes, list) or not changes:
        raise InvalidEntry("changes: a correction lists at least one change", field="changes")
    for i, change in enumerate(changes):
        if not isinstance(change, dict) or not change.get("field"):
            raise InvalidEntry(
                f"changes.{i}.field: required field is missing", field=f"changes.{i}.field"
            )
        field = read.required_text(f"changes.{i}.field")
        if "after" not in change:
            raise InvalidEntry(
                f"changes.{i}.after: required field is missing", field=f"changes.{i}.after"
            )
        _check_after(read, f"changes.{i}.after", field.rpartition(".")[2])
    read.required_text("basis")
    read.text("reason")
    return {"subject": PersonRef(subject, "")}, None


def _check_after(read: _Reader, path: str, leaf: str) -> None:
    """A correction's new value passes the rule its field has in an entry (the act stays
    readable): a date is a (partial) date, a sex M or F, a birth year digits, a name text."""
    if read.value(path) is None:
        return
    if leaf in ("birth_date", "occurred_on", "date", "effective_on"):
        read.partial_date(path)
    elif leaf == "sex":
        read.choice(path, ("M", "F"))
    elif leaf == "birth_year":
        read.birth_year(path)
    elif leaf in PERSON_TEXT_FIELDS or leaf == "full_name":
        read.text(path)


_KIND_READERS = {
    "birth": _birth,
    "marriage": _marriage,
    "divorce": _divorce,
    "death": _death,
    "parentage": _parentage,
    "adoption": _parentage,
    "guardianship_opened": _guardianship,
    "guardianship_ended": _guardianship,
    "correction": _correction,
}
