"""One handler per kind of act: gather the persons, check every rule, then record.

A handler raises before it changes anything, so a refused act leaves the unit of
work untouched and a batch can go on with the next act. `Work` is the unit of
work: each aggregate is loaded once, changed in memory, and all changes are
saved together in one transaction by the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from lifeledger.domain import rules
from lifeledger.domain.act_layout import ACT_FIELDS, FACT_FIELDS, PERSON_PATHS
from lifeledger.domain.acts import PARENT_ROLES, PERSON_FIELDS, Act, PersonRef, Reference
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import (
    ActNotFound,
    ActRevoked,
    FieldNotCorrectable,
    FourEyes,
    GuardianshipNotOpen,
    InvalidEntry,
    LedgerError,
    MarriageNotOpen,
    PinNotCorrectable,
    StaleCorrection,
)
from lifeledger.domain.jurisdiction import Provinces, check_office, check_write, named_targets
from lifeledger.domain.person import (
    ADOPTIVE_ROLES,
    BLOOD_ROLES,
    Fact,
    MarriageSpan,
    Person,
    person_id,
)
from lifeledger.domain.pin import Pin
from lifeledger.domain.registration import Registration


@dataclass
class Work:
    """Unit of work: aggregates loaded once, changed in memory, saved together, on behalf of a
    user acting in `provinces` (empty: national), who may change only their offices' acts."""

    load: Callable[[UUID], Aggregate]
    provinces: Provinces = frozenset()
    loaded: dict[UUID, Aggregate | None] = field(default_factory=dict)
    changed: dict[UUID, Aggregate] = field(default_factory=dict)
    parent_overlay: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self.loaded:
            try:
                self.loaded[aggregate_id] = self.load(aggregate_id)
            except AggregateNotFoundError:
                self.loaded[aggregate_id] = None
        return self.loaded[aggregate_id]

    def reload(self, aggregate_id: UUID) -> Any:
        """Read an aggregate again, for what another writer may have saved since."""
        if aggregate_id in self.changed:
            return self.changed[aggregate_id]
        self.loaded.pop(aggregate_id, None)
        return self.get(aggregate_id)

    def add(self, aggregate: Aggregate) -> None:
        self.loaded[aggregate.id] = aggregate
        self.changed[aggregate.id] = aggregate

    def person(self, pin: str) -> Person | None:
        person: Person | None = self.get(person_id(pin))
        return person

    def registration(self, reference: Reference) -> Registration | None:
        registration: Registration | None = self.get(reference.act_id)
        return registration

    def changing(self, act_id: str, what: str) -> None:
        """Refuse to change the act `act_id` (found by the rules, not named by the entry)
        unless its registering office is in the user's provinces."""
        target: Registration | None = self.get(UUID(act_id)) if self.provinces else None
        if target is not None:
            check_office(self.provinces, target.reference["authority"], target.label, what)

    def link(self, pin: str, fact: Fact) -> None:
        person = self.person(pin)
        if person is None:
            person = Person.open(pin, fact)
        else:
            person.link(fact)
        self.add(person)

    # The family as the rules see it, including parent links about to be added.

    def parents_of(self, pin: str) -> dict[str, str]:
        return self._parents(pin, BLOOD_ROLES)

    def adoptive_parents_of(self, pin: str) -> dict[str, str]:
        return self._parents(pin, ADOPTIVE_ROLES)

    def _parents(self, pin: str, roles: tuple[str, ...]) -> dict[str, str]:
        person = self.person(pin)
        found = person.parents(roles) if person else {}
        pending = self.parent_overlay.get(pin, {})
        return {**found, **{r: p for r, p in pending.items() if r in roles}}

    def marriages_of(self, pin: str) -> list[MarriageSpan]:
        person = self.person(pin)
        return person.marriages() if person else []

    def died_on(self, pin: str) -> PartialDate | None:
        person = self.person(pin)
        return person.died_on if person else None

    def with_descendants(self, pin: str) -> list[str]:
        found, frontier = [pin], [pin]
        while frontier:
            person = self.person(frontier.pop())
            for child in person.children(BLOOD_ROLES) if person else []:
                if child not in found:
                    found.append(child)
                    frontier.append(child)
        return found


@dataclass(frozen=True)
class Recorder:
    """Who records an act, in which provinces they act (empty: national), and where it comes
    from. An approver records what another user entered: `entered_by`, the user who staged
    the entry (or ran the import); the typist an entry names (its `entered_by` field) is kept
    beside it as `typed_by`. The approver must be neither."""

    user: str
    role: str = "officer"
    office: str | None = None
    source: str = "live"
    entered_by: str | None = None
    approves: bool = False
    provinces: Provinces = frozenset()

    def recorded_by(self, act: Act | None = None) -> dict[str, Any]:
        if not self.approves:
            return {"user": self.user, "role": self.role, "office": self.office}
        typed = act.content.get("entered_by") if act else None
        entered = str(self.entered_by or typed)
        if self.user in (entered, typed):
            raise FourEyes(
                f"{act.reference.label if act else 'entry'}: entered by {self.user}; "
                "a second user must approve it",
                user=self.user,
            )
        recorded = {
            "user": entered,
            "role": "operator",
            "office": self.office,
            "approved_by": self.user,
            "approver_role": self.role,
        }
        return {**recorded, "typed_by": str(typed)} if typed is not None else recorded

    def source_of(self, act: Act) -> dict[str, Any]:
        given = act.content.get("source") or {}
        return {**given, "kind": given.get("kind", self.source)}


def record(work: Work, act: Act, recorder: Recorder) -> Registration:
    """Check the user's jurisdiction, then the act's rules against everything known, then
    record it in `work`."""
    check_write(act, recorder.provinces)
    recorded_by = recorder.recorded_by(act)
    links = check_rules(work, act)
    # The persons it concerns: those it names, and those found by the rules (the spouses of
    # a divorce that names only the marriage).
    pins = sorted(set(act.pins) | {pin for pin, _ in links})
    registration = Registration.record(act, pins, recorder.source_of(act), recorded_by)
    work.add(registration)
    for pin, fact in links:
        work.link(
            pin, {"act": str(registration.id), "ref": act.reference.label, "kind": act.kind, **fact}
        )
    if act.kind == "correction":
        apply_correction(work, act, registration)
    return registration


Links = list[tuple[str, Fact]]


def check_rules(work: Work, act: Act) -> Links:
    """Check the act's rules against everything known (changing nothing); returns the facts
    recording it would link to its persons."""
    try:
        return HANDLERS[act.kind](work, act)
    except LedgerError as error:
        error.concerns |= _concerned(work, act)
        raise


def _concerned(work: Work, act: Act) -> frozenset[str]:
    """The persons an act's refusal may speak of: those it names, and those of the acts it
    names as changed (the spouses of a divorce that names only the marriage)."""
    targets = [work.loaded.get(ref.act_id) for ref in named_targets(act)]
    pins = {pin for target in targets if isinstance(target, Registration) for pin in target.pins}
    return frozenset(act.pins) | pins


def _pin(ref: PersonRef) -> str:
    assert ref.pin is not None
    return ref.pin.value


def _stated_born(ref: PersonRef) -> dict[str, str]:
    return {"born": str(ref.birth_date)} if ref.birth_date else {}


def _born(person: Person | None, ref: PersonRef) -> PartialDate:
    """Birth date from the ledger's birth act, else as this act states it, else the PIN's year."""
    if person is not None and (person.birth or ref.birth_date is None):
        return person.born_on
    return ref.birth_date or PartialDate(Pin(_pin(ref)).birth_year)


def _birth(work: Work, act: Act) -> Links:
    child_ref = act.persons["child"]
    pin, born = _pin(child_ref), act.fact_date
    child = work.person(pin)
    rules.birth_not_registered(child, pin)
    if child is not None:
        rules.facts_after_birth(child, born)
    parents: dict[str, str] = {}
    links: Links = []
    for role in ("mother", "father"):
        ref = act.persons.get(role)
        if ref is None or ref.pin is None:
            continue
        parent_pin = ref.pin.value
        parent = work.person(parent_pin)
        rules.parent_sex_fits_role(parent_pin, parent.sex if parent else ref.pin.sex, role)
        rules.parent_older(parent_pin, _born(parent, ref), role, pin, born)
        if parent is not None:
            rules.parent_alive_at_birth(parent, role, born, pin)
        rules.parent_role_free(child, role, parent_pin, pin)
        parents[role] = parent_pin
        links.append(
            (parent_pin, {"role": role, "on": str(born), "other": pin, **_stated_born(ref)})
        )
    _new_parents_keep_marriages_lawful(work, pin, parents, "birth refused")
    child_fact = {"role": "child", "on": str(born), "sex": child_ref.sex, "parents": parents}
    return [(pin, child_fact), *links]


def _new_parents_keep_marriages_lawful(
    work: Work, pin: str, parents: dict[str, str], what: str
) -> None:
    """Out-of-order entry: a parent link arriving late may reveal a marriage between kin."""
    if not parents:
        return
    work.parent_overlay[pin] = parents
    try:
        rules.marriages_stay_lawful(
            work.with_descendants(pin),
            work.marriages_of,
            work.parents_of,
            work.adoptive_parents_of,
            what,
        )
    finally:
        del work.parent_overlay[pin]


def _marriage(work: Work, act: Act) -> Links:
    on = act.fact_date
    refs = [act.persons["spouse0"], act.persons["spouse1"]]
    pins = [_pin(r) for r in refs]
    persons = [work.person(p) for p in pins]
    sexes = [p.sex if p else r.pin.sex for p, r in zip(persons, refs, strict=True) if r.pin]
    rules.man_and_woman(pins[0], sexes[0], pins[1], sexes[1])
    deaths = [p.died_on for p in persons if p and p.died_on]
    end = min(d.earliest for d in deaths) if deaths else None
    for pin, person, ref, sex in zip(pins, persons, refs, sexes, strict=True):
        rules.marriage_age(pin, sex, _born(person, ref), on)
        rules.alive_on(person, pin, on, "marriage")
        if person is not None:
            rules.not_married_during(person, on, end, work.died_on)
    rules.not_kin(pins[0], pins[1], work.parents_of, work.adoptive_parents_of)
    return [
        (pins[0], {"role": "spouse", "on": str(on), "other": pins[1], **_stated_born(refs[0])}),
        (pins[1], {"role": "spouse", "on": str(on), "other": pins[0], **_stated_born(refs[1])}),
    ]


def _divorce(work: Work, act: Act) -> Links:
    effective = act.fact_date
    span, pins = _find_marriage(work, act)
    end = rules.marriage_end(span, work.died_on(pins[0]), work.died_on(pins[1]))
    rules.divorce_allowed(span, effective, end)
    fact = {
        "role": "spouse",
        "on": str(effective),
        "marriage": span.act,
        "annulment": bool(act.get("annulment")),
    }
    return [(pins[0], {**fact, "other": pins[1]}), (pins[1], {**fact, "other": pins[0]})]


def _find_marriage(work: Work, act: Act) -> tuple[MarriageSpan, list[str]]:
    """The marriage a divorce ends: by its registration reference, or the spouses' open one
    (which must then be an act of the user's offices)."""
    if act.get("marriage") is not None:
        reference = Reference.at(act.content, "marriage")
        marriage = work.registration(reference)
        if marriage is None or marriage.kind != "marriage":
            raise ActNotFound(
                f"divorce refused: no marriage registered as {reference.label}",
                reference=reference.label,
            )
        if marriage.revoked:
            raise ActRevoked(
                f"divorce refused: marriage {reference.label} has been revoked",
                reference=reference.label,
            )
        pins = list(marriage.pins)
        spans = [s for s in work.marriages_of(pins[0]) if s.act == str(marriage.id)]
    else:
        pins = [_pin(act.persons["spouse0"]), _pin(act.persons["spouse1"])]
        spans = [s for s in work.marriages_of(pins[0]) if s.spouse == pins[1]]
        spans = [s for s in spans if s.divorced_on is None] or spans
    if not spans:
        raise MarriageNotOpen(
            f"divorce refused: no marriage between {pins[0]} and {pins[1]}", pins=pins
        )
    work.changing(spans[-1].act, "divorce refused")
    return spans[-1], pins


def _death(work: Work, act: Act) -> Links:
    pin, died = _pin(act.persons["deceased"]), act.fact_date
    person = work.person(pin)
    rules.death_not_registered(person, pin)
    rules.death_after_life(person, pin, died, _born(person, act.persons["deceased"]))
    return [(pin, {"role": "deceased", "on": str(died)})]


def _parentage(work: Work, act: Act) -> Links:
    role = str(act.get("role"))
    parent_ref, child_ref = act.persons["parent"], act.persons["child"]
    parent_pin, child_pin = _pin(parent_ref), _pin(child_ref)
    parent, child = work.person(parent_pin), work.person(child_pin)
    rules.parent_sex_fits_role(parent_pin, parent.sex if parent else Pin(parent_pin).sex, role)
    child_born = _born(child, child_ref)
    rules.parent_older(parent_pin, _born(parent, parent_ref), role, child_pin, child_born)
    if parent is not None and role in BLOOD_ROLES:
        rules.parent_alive_at_birth(parent, role, child_born, child_pin)
    if role not in BLOOD_ROLES:
        rules.alive_on(parent, parent_pin, act.fact_date, act.kind)
    rules.parent_role_free(child, role, parent_pin, child_pin)
    _new_parents_keep_marriages_lawful(work, child_pin, {role: parent_pin}, f"{act.kind} refused")
    on = str(act.fact_date)
    return [
        (child_pin, {"role": "child", "on": on, "parents": {role: parent_pin}}),
        (parent_pin, {"role": role, "on": on, "other": child_pin, **_stated_born(parent_ref)}),
    ]


def _guardianship_opened(work: Work, act: Act) -> Links:
    on, kind = act.fact_date, act.guardianship_kind
    ward_pin, guardian_pin = _pin(act.persons["ward"]), _pin(act.persons["guardian"])
    ward, guardian = work.person(ward_pin), work.person(guardian_pin)
    rules.guardian_capable(guardian, guardian_pin, on)
    rules.ward_needs_guardian(ward, ward_pin, kind, on)
    rules.alive_on(ward, ward_pin, on, "guardianship")
    return [
        (ward_pin, {"role": "ward", "on": str(on), "other": guardian_pin, "kind_of": kind}),
        (guardian_pin, {"role": "guardian", "on": str(on), "other": ward_pin, "kind_of": kind}),
    ]


def _guardianship_ended(work: Work, act: Act) -> Links:
    ward_pin, guardian_pin = _pin(act.persons["ward"]), _pin(act.persons["guardian"])
    ward = work.person(ward_pin)
    opened = ward.open_guardianship(guardian_pin) if ward else None
    if opened is None:
        raise GuardianshipNotOpen(
            f"guardianship end refused: {guardian_pin} is not the guardian of {ward_pin}",
            ward=ward_pin,
            guardian=guardian_pin,
        )
    work.changing(str(opened["act"]), "guardianship end refused")
    fact = {"on": str(act.fact_date), "opened": opened["act"]}
    return [
        (ward_pin, {**fact, "role": "ward", "other": guardian_pin}),
        (guardian_pin, {**fact, "role": "guardian", "other": ward_pin}),
    ]


def _correction(work: Work, act: Act) -> Links:
    """Checked here; the target act and its persons are changed by `apply_correction`."""
    target = _correction_target(work, act)
    subject = _pin(act.persons["subject"])
    if subject not in target.pins:
        raise InvalidEntry(
            f"subject_pin: {subject} is not a person of act {target.label}", field="subject_pin"
        )
    for i, change in enumerate(act.get("changes")):
        _check_change(target, change, i)
    for person, values in _moved_facts(work, act, target):
        _recheck_moved_dates(person, target, values)
    return []


def _moved_facts(work: Work, act: Act, target: Registration) -> list[tuple[Person, Fact]]:
    """The persons whose rule-relevant facts the correction changes, with the new values."""
    fact_keys = FACT_FIELDS.get(target.kind, {})
    values = {
        fact_keys[c["field"]]: c["after"] for c in act.get("changes") if c["field"] in fact_keys
    }
    moved = []
    for pin in target.pins if values else []:
        person = work.person(pin)
        if person is not None and str(target.id) in person.facts:
            moved.append((person, values))
    return moved


def _correction_target(work: Work, act: Act) -> Registration:
    reference = Reference.at(act.content, "target")
    target = work.registration(reference)
    if target is None:
        raise ActNotFound(
            f"correction refused: no act registered as {reference.label}", reference=reference.label
        )
    if target.revoked:
        raise ActRevoked(
            f"correction refused: act {reference.label} has been revoked", reference=reference.label
        )
    return target


def _check_change(target: Registration, change: dict[str, Any], index: int) -> None:
    path = str(change["field"])
    if path == "pin" or path.endswith(".pin"):
        raise PinNotCorrectable(
            f"correction refused: changes.{index} would change a PIN ({path}); an entry on "
            "the wrong person is voided and re-recorded on the right one",
            field=path,
        )
    prefix, _, leaf = path.rpartition(".")
    persons = PERSON_PATHS.get(target.kind, ())
    if path not in ACT_FIELDS and not (prefix in persons and leaf in PERSON_FIELDS):
        raise FieldNotCorrectable(
            f"correction refused: {target.kind} act {target.label} has no correctable field "
            f"{path!r}",
            field=path,
        )
    current = target.current(path)
    if change.get("before") != current:
        raise StaleCorrection(
            f"correction refused: {path} of {target.label} is {current!r}, not "
            f"{change.get('before')!r} as the correction says",
            field=path,
            before=change.get("before"),
            current=current,
        )
    if path in FACT_FIELDS.get(target.kind, {}) and path != "child.sex":
        PartialDate.parse(str(change["after"]), f"changes.{index}.after")


def apply_correction(work: Work, act: Act, correction: Registration) -> None:
    """Change the target act and the facts its persons hold (already checked)."""
    target = _correction_target(work, act)
    for person, values in _moved_facts(work, act, target):
        person.correct(str(target.id), values)
        work.add(person)
    target.correct(str(correction.id), with_full_names(target, list(act.get("changes"))))
    work.add(target)


NAME_PARTS = ("family_name", "middle_name", "given_name")


def with_full_names(target: Registration, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes, plus each person's full name recomposed when a name part changes and the
    full name was those parts joined, so the act stays consistent (marked `derived`)."""
    derived = []
    prefixes = {
        c["field"].rpartition(".")[0]
        for c in changes
        if c["field"].rpartition(".")[2] in NAME_PARTS
    }
    for prefix in sorted(prefixes):
        person = target.current(prefix)
        full_path = f"{prefix}.full_name"
        if not isinstance(person, dict) or any(c["field"] == full_path for c in changes):
            continue
        if person.get("full_name") != _joined(person):
            continue
        after = {
            **person,
            **{
                c["field"].rpartition(".")[2]: c["after"]
                for c in changes
                if c["field"].rpartition(".")[0] == prefix
            },
        }
        derived.append(
            {
                "field": full_path,
                "before": person["full_name"],
                "after": _joined(after),
                "derived": True,
            }
        )
    return changes + derived


def _joined(person: dict[str, Any]) -> str:
    return " ".join(str(person[p]) for p in NAME_PARTS if person.get(p))


def _recheck_moved_dates(person: Person, target: Registration, values: dict[str, Any]) -> None:
    """Re-check the rules a moved birth or death date touches, for this person's role in it:
    the child's own birth, a parent of that child, or the deceased."""
    if "on" not in values:
        return
    moved = PartialDate.parse(str(values["on"]))
    fact = person.facts[str(target.id)]
    if target.kind == "birth" and fact["role"] == "child":
        rules.facts_after_birth(person, moved)
    elif target.kind == "birth" and fact["role"] in BLOOD_ROLES:
        child = str(fact["other"])
        rules.parent_older(person.pin, person.born_on, fact["role"], child, moved)
        rules.parent_alive_at_birth(person, fact["role"], moved, child)
    elif target.kind == "death":
        rules.death_after_life(person, person.pin, moved)


HANDLERS: dict[str, Callable[[Work, Act], Links]] = {
    "birth": _birth,
    "marriage": _marriage,
    "divorce": _divorce,
    "death": _death,
    "parentage": _parentage,
    "adoption": _parentage,
    "guardianship_opened": _guardianship_opened,
    "guardianship_ended": _guardianship_ended,
    "correction": _correction,
}


def pins_of(acts: Iterable[Act]) -> set[str]:
    return {pin for act in acts for pin in act.pins}


__all__ = [
    "PARENT_ROLES",
    "Recorder",
    "Work",
    "apply_correction",
    "check_rules",
    "pins_of",
    "record",
]
