"""An act as it reaches the ledger: parsed from the register export format, validated.

`parse_act(raw)` is the one gate between outside data (an import line, an HTTP
body) and the rules: it checks the shape, the PINs and the dates, and names the
offending field. The act keeps the whole entry as its content, so nothing the
register said is dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from lifeledger.domain.dates import PartialDate, parse_optional
from lifeledger.domain.errors import InvalidDate, InvalidEntry
from lifeledger.domain.pin import Pin

KINDS = (
    "birth",
    "marriage",
    "divorce",
    "death",
    "parentage",
    "adoption",
    "guardianship_opened",
    "guardianship_ended",
    "correction",
)
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


def _check_text(value: Any, path: str) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidEntry(f"{path}: expected text, got {type(value).__name__}", field=path)


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
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
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
    """Reads fields of a raw entry and names the field in every error."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def value(self, path: str, required: bool = False) -> Any:
        value = get_path(self.raw, path)
        if required and value in (None, ""):
            raise InvalidEntry(f"{path}: required field is missing", field=path)
        return value

    def text(self, path: str, required: bool = False) -> str | None:
        value = self.value(path, required)
        if value is None:
            return None
        if isinstance(value, dict | list):
            raise InvalidEntry(f"{path}: expected text, got {type(value).__name__}", field=path)
        return str(value).strip()

    def free_text(self, path: str, required: bool = False) -> str | None:
        """Text that must be given as text (a name, a place), not a number or a truth value."""
        value = self.value(path, required)
        _check_text(value, path)
        return value.strip() if value else None

    def birth_year(self, path: str) -> int | None:
        """A year as digits (a number or text), as a date's year must be."""
        value = self.value(path)
        if value is None:
            return None
        if not is_whole_number(value, 4):
            raise InvalidEntry(f"{path}: {value!r} is not a year", field=path)
        return PartialDate.parse(str(value), path).year

    def page(self, path: str) -> None:
        value = self.value(path)
        if value is not None and not (is_whole_number(value, 5) and int(value) > 0):
            raise InvalidEntry(f"{path}: {value!r} is not a page number", field=path)

    def mapping(self, path: str) -> dict[str, Any] | None:
        value = self.value(path)
        if value is not None and not isinstance(value, dict):
            raise InvalidEntry(
                f"{path}: expected an object, got {type(value).__name__}", field=path
            )
        return value

    def partial_date(self, path: str, required: bool = False) -> PartialDate | None:
        return parse_optional(self.text(path, required), path)

    def exact_date(self, path: str) -> date:
        partial = self.partial_date(path, required=True)
        assert partial is not None
        if not partial.is_exact:
            raise InvalidDate(f"{path}: {partial} must be a full date YYYY-MM-DD", field=path)
        return partial.earliest

    def choice(self, path: str, allowed: tuple[str, ...], required: bool = True) -> str | None:
        value = self.text(path, required)
        if value is not None and value not in allowed:
            raise InvalidEntry(f"{path}: {value!r} is not one of {', '.join(allowed)}", field=path)
        return value

    def person(self, path: str, pin_required: bool, required: bool = True) -> PersonRef | None:
        node = self.value(path)
        if node is None:
            if required:
                raise InvalidEntry(f"{path}: required person is missing", field=path)
            return None
        if not isinstance(node, dict):
            raise InvalidEntry(f"{path}: expected a person object", field=path)
        full_name = self.free_text(f"{path}.full_name", required=True)
        assert full_name is not None
        for name in PERSON_TEXT_FIELDS:
            _check_text(node.get(name), f"{path}.{name}")
        sex = self.choice(f"{path}.sex", ("M", "F"), required=False)
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

    def reference(self, path: str) -> Reference:
        for key in REFERENCE_KEYS:
            self.text(f"{path}.{key}", required=True)
        return Reference.at(self.raw, path)


def parse_act(raw: object) -> Act:
    """Validate one entry of the register export format and return the act it states."""
    if not isinstance(raw, dict):
        raise InvalidEntry("an entry must be a JSON object")
    check_storable(raw)
    kind = _Reader(raw).choice("kind", KINDS)
    assert kind is not None
    raw = unknown_under_extra(raw, kind)
    read = _Reader(raw)
    reference = read.reference("register")
    registered_on = read.exact_date("register.registered_on")
    read.page("register.page")
    read.mapping("source")
    read.choice("source.kind", SOURCES, required=False)
    province = read.text("register.province")
    if province is not None and not (len(province) == 3 and province.isdigit()):
        raise InvalidEntry(
            f"register.province: {province!r} is not a 3-digit code", field="register.province"
        )
    persons, fact_date = _KIND_READERS[kind](read)
    fact_date = fact_date or read.partial_date("occurred_on") or PartialDate.of(registered_on)
    if fact_date.earliest > registered_on:
        raise InvalidDate(
            f"occurred_on: the fact ({fact_date}) cannot be after its registration "
            f"({registered_on})",
            field="occurred_on",
        )
    return Act(kind, reference, registered_on, fact_date, raw, persons, content_hash(raw))


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


MAX_DEPTH = 20
"""Deepest nesting of objects and lists an entry may have."""
RESERVED_KEY = "_type_"
"""The event store's JSON marks the values it encodes (a time, a UUID) with this key: an
entry's object holding it would be read back as such a value, or not at all."""


def check_storable(value: object, where: str = "", depth: int = 0) -> None:
    """Refuse what no store or JSON answer can hold, naming where it is: NUL characters
    (PostgreSQL refuses them), unpaired surrogates, NaN/Infinity, nesting deeper than
    MAX_DEPTH, objects with the event store's RESERVED_KEY."""
    found = _unstorable(value, depth)
    if found is not None:
        parts, reason = found
        path = ".".join([where, *reversed(parts)] if where else reversed(parts))
        raise InvalidEntry(f"{path or 'entry'}: {reason}", field=path or None)


Unstorable = tuple[list[str], str]
"""Where the value is (its path below the walked value, innermost part first) and why no
store can hold it."""


def _unstorable(value: object, depth: int) -> Unstorable | None:
    """The first thing in `value` no store can hold, or None. The path is built only on the
    way back from a refusal: most entries pass, and naming every field took most of the
    time."""
    if depth > MAX_DEPTH:
        return [], f"nested more than {MAX_DEPTH} levels"
    if isinstance(value, str):
        return _unstorable_text(value)
    if isinstance(value, float):
        return None if math.isfinite(value) else ([], "numbers must be finite")
    if isinstance(value, dict):
        if RESERVED_KEY in value:
            reason = "is reserved (the event store marks the values it encodes with it)"
            return [], f"the key {RESERVED_KEY!r} {reason}"
        for key, item in value.items():
            found = _unstorable_text(str(key))  # a bad key is named by its object's path
            if found is None and (found := _unstorable(item, depth + 1)) is not None:
                found[0].append(str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _unstorable(item, depth + 1)) is not None:
                found[0].append(str(index))
                return found
    return None


def _unstorable_text(text: str) -> Unstorable | None:
    if "\x00" in text:
        return [], "text contains a NUL character"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [], "text is not valid Unicode"
    return None


def _birth(read: _Reader) -> tuple[Persons, PartialDate | None]:
    child = read.person("child", pin_required=True)
    assert child is not None
    if child.sex is None:
        raise InvalidEntry("child.sex: required field is missing", field="child.sex")
    born = read.partial_date("child.birth_date") or read.partial_date("occurred_on", required=True)
    assert born is not None and child.pin is not None
    child.pin.check_agrees(None, born.year, "child.pin")
    persons: Persons = {"child": PersonRef(child.pin, child.full_name, child.sex, born)}
    for role in ("mother", "father"):
        parent = read.person(role, pin_required=False, required=False)
        if parent is not None:
            persons[role] = parent
    return persons, born


def _marriage(read: _Reader) -> tuple[Persons, PartialDate | None]:
    spouses = read.value("spouses", required=True)
    if not isinstance(spouses, list) or len(spouses) != 2:
        raise InvalidEntry("spouses: a marriage names exactly two spouses", field="spouses")
    persons: Persons = {}
    for i in (0, 1):
        spouse = read.person(f"spouses.{i}", pin_required=True)
        assert spouse is not None
        persons[f"spouse{i}"] = spouse
    if persons["spouse0"].pin == persons["spouse1"].pin:
        raise InvalidEntry("spouses: both spouses have the same PIN", field="spouses.1.pin")
    return persons, read.partial_date("occurred_on", required=True)


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
            pin = spouse.get("pin") if isinstance(spouse, dict) else spouse
            persons[f"spouse{i}"] = PersonRef(Pin.parse(pin, f"spouses.{i}"), "")
    read.text("court.decision", required=True)
    return persons, read.partial_date("court.effective_on", required=True)


def _death(read: _Reader) -> tuple[Persons, PartialDate | None]:
    deceased = read.person("deceased", pin_required=True)
    assert deceased is not None
    return {"deceased": deceased}, read.partial_date("death.date", required=True)


def _parentage(read: _Reader) -> tuple[Persons, PartialDate | None]:
    role = read.choice("role", PARENT_ROLES)
    parent = read.person("parent", pin_required=True)
    child = read.person("child", pin_required=True)
    assert parent is not None and child is not None and role is not None
    if parent.pin == child.pin:
        raise InvalidEntry("parent.pin: a person cannot be their own parent", field="parent.pin")
    if parent.sex is not None and parent.sex != ("F" if role.endswith("mother") else "M"):
        raise InvalidEntry(
            f"role: a {role} must be {'F' if role.endswith('mother') else 'M'}", field="role"
        )
    return {"parent": parent, "child": child}, read.partial_date("occurred_on")


def _guardianship(read: _Reader) -> tuple[Persons, PartialDate | None]:
    ward = read.person("ward", pin_required=True)
    guardian = read.person("guardian", pin_required=True)
    assert ward is not None and guardian is not None
    if ward.pin == guardian.pin:
        raise InvalidEntry(
            "guardian.pin: a person cannot be their own guardian", field="guardian.pin"
        )
    read.text("guardianship.kind")
    return {"ward": ward, "guardian": guardian}, read.partial_date("occurred_on")


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
        read.free_text(f"changes.{i}.field")
        if "after" not in change:
            raise InvalidEntry(
                f"changes.{i}.after: required field is missing", field=f"changes.{i}.after"
            )
        _check_after(read, f"changes.{i}.after", str(change["field"]).rpartition(".")[2])
    read.text("basis", required=True)
    return {"subject": PersonRef(subject, "")}, read.partial_date("occurred_on")


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
        read.free_text(path)


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
