"""Reading an entry of the register export format into an `Act`: `parse_act(raw)` is the one
gate between outside data (an import line, an HTTP body) and the rules. It checks the shape,
the PINs and the dates, naming the offending field in every refusal, and keeps the whole entry
(its unknown fields under `extra`) as the act's content, so nothing the register said is
dropped."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lifeledger.domain.acts import (
    PARENT_ROLES,
    PERSON_TEXT_FIELDS,
    REFERENCE_KEYS,
    Act,
    PersonRef,
    Reference,
    content_hash,
    get_path,
    is_whole_number,
)
from lifeledger.domain.canonical import canonical_entry
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
from lifeledger.domain.vocabulary import BLOOD_ROLES, ActKind

KINDS = tuple(ActKind)
SOURCES = ("live", "digitized", "court", "abroad", "reconciliation")
CORRECTION_KINDS = ("change", "correct", "supplement", "ethnicity", "sex")


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
    ActKind.BIRTH: frozenset({"child", "mother", "father"}),
    ActKind.MARRIAGE: frozenset({"spouses"}),
    ActKind.DIVORCE: frozenset({"marriage", "spouses", "court", "annulment"}),
    ActKind.DEATH: frozenset({"deceased", "death"}),
    ActKind.PARENTAGE: frozenset({"parent", "child", "role", "decision"}),
    ActKind.ADOPTION: frozenset({"parent", "child", "role", "decision"}),
    ActKind.GUARDIANSHIP_OPENED: frozenset(
        {"ward", "guardian", "guardianship", "guardianship_kind"}
    ),
    ActKind.GUARDIANSHIP_ENDED: frozenset(
        {"ward", "guardian", "guardianship", "guardianship_kind"}
    ),
    ActKind.CORRECTION: frozenset(
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
    for role in BLOOD_ROLES:
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
    if adoption != (read.value("kind") == ActKind.ADOPTION):
        kind = ActKind.ADOPTION if adoption else ActKind.PARENTAGE
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


_KIND_READERS: dict[str, Callable[[_Reader], tuple[Persons, PartialDate | None]]] = {
    ActKind.BIRTH: _birth,
    ActKind.MARRIAGE: _marriage,
    ActKind.DIVORCE: _divorce,
    ActKind.DEATH: _death,
    ActKind.PARENTAGE: _parentage,
    ActKind.ADOPTION: _parentage,
    ActKind.GUARDIANSHIP_OPENED: _guardianship,
    ActKind.GUARDIANSHIP_ENDED: _guardianship,
    ActKind.CORRECTION: _correction,
}
