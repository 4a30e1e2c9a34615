"""One handler per kind of act: gather the persons, check the rules of `domain/rules.py`,
and return the facts recording the act links to its persons; `record` then records it.

A handler raises before it changes anything, so a refused act leaves the unit of
work untouched and a batch can go on with the next act.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lifeledger.commands.corrections import apply_correction, check_correction
from lifeledger.commands.unit_of_work import Links, Recorder, Work
from lifeledger.domain import rules
from lifeledger.domain.acts import Act, PersonRef, Reference
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import (
    ActNotFound,
    ActRevoked,
    GuardianshipNotOpen,
    LedgerError,
    MarriageNotOpen,
)
from lifeledger.domain.jurisdiction import check_write, named_targets
from lifeledger.domain.person import MarriageSpan, Person
from lifeledger.domain.pin import Pin
from lifeledger.domain.registration import Registration
from lifeledger.domain.vocabulary import BLOOD_ROLES, ActKind, PartyRole


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
    if act.kind == ActKind.CORRECTION:
        apply_correction(work, act, registration)
    return registration


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


def _stated_born(ref: PersonRef) -> dict[str, str]:
    return {"born": str(ref.birth_date)} if ref.birth_date else {}


def _born(person: Person | None, ref: PersonRef) -> PartialDate:
    """Birth date from the ledger's birth act, else as this act states it, else the PIN's year."""
    if person is not None and (person.birth or ref.birth_date is None):
        return person.born_on
    return ref.birth_date or PartialDate(Pin(ref.named_pin).birth_year)


def _birth(work: Work, act: Act) -> Links:
    child_ref = act.persons[PartyRole.CHILD]
    pin, born = child_ref.named_pin, act.fact_date
    child = work.person(pin)
    rules.birth_not_registered(child, pin)
    if child is not None:
        rules.facts_after_birth(child, born)
    parents: dict[str, str] = {}
    links: Links = []
    for role in BLOOD_ROLES:
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
    child_fact = {
        "role": PartyRole.CHILD,
        "on": str(born),
        "sex": child_ref.sex,
        "parents": parents,
    }
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
    pins = [r.named_pin for r in refs]
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
        (
            pins[0],
            {"role": PartyRole.SPOUSE, "on": str(on), "other": pins[1], **_stated_born(refs[0])},
        ),
        (
            pins[1],
            {"role": PartyRole.SPOUSE, "on": str(on), "other": pins[0], **_stated_born(refs[1])},
        ),
    ]


def _divorce(work: Work, act: Act) -> Links:
    effective = act.fact_date
    span, pins = _find_marriage(work, act)
    end = rules.marriage_end(span, work.died_on(pins[0]), work.died_on(pins[1]))
    rules.divorce_allowed(span, effective, end)
    fact = {
        "role": PartyRole.SPOUSE,
        "on": str(effective),
        "marriage": span.act,  # a field of the fact (a plain text key: JSON)
        "annulment": bool(act.get("annulment")),
    }
    return [(pins[0], {**fact, "other": pins[1]}), (pins[1], {**fact, "other": pins[0]})]


def _find_marriage(work: Work, act: Act) -> tuple[MarriageSpan, list[str]]:
    """The marriage a divorce ends: by its registration reference, or the spouses' open one
    (which must then be an act of the user's offices)."""
    if act.get("marriage") is not None:
        reference = Reference.at(act.content, "marriage")
        marriage = work.registration(reference)
        if marriage is None or marriage.kind != ActKind.MARRIAGE:
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
        pins = [act.persons["spouse0"].named_pin, act.persons["spouse1"].named_pin]
        spans = [s for s in work.marriages_of(pins[0]) if s.spouse == pins[1]]
        spans = [s for s in spans if s.divorced_on is None] or spans
    if not spans:
        raise MarriageNotOpen(
            f"divorce refused: no marriage between {pins[0]} and {pins[1]}", pins=pins
        )
    work.changing(spans[-1].act, "divorce refused")
    return spans[-1], pins


def _death(work: Work, act: Act) -> Links:
    pin, died = act.persons[PartyRole.DECEASED].named_pin, act.fact_date
    person = work.person(pin)
    rules.death_not_registered(person, pin)
    rules.death_after_life(person, pin, died, _born(person, act.persons[PartyRole.DECEASED]))
    return [(pin, {"role": PartyRole.DECEASED, "on": str(died)})]


def _parentage(work: Work, act: Act) -> Links:
    role = str(act.get("role"))
    parent_ref, child_ref = act.persons[PartyRole.PARENT], act.persons[PartyRole.CHILD]
    parent_pin, child_pin = parent_ref.named_pin, child_ref.named_pin
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
        (child_pin, {"role": PartyRole.CHILD, "on": on, "parents": {role: parent_pin}}),
        (parent_pin, {"role": role, "on": on, "other": child_pin, **_stated_born(parent_ref)}),
    ]


def _ward_and_guardian(act: Act) -> tuple[str, str]:
    return act.persons[PartyRole.WARD].named_pin, act.persons[PartyRole.GUARDIAN].named_pin


def _guardianship_opened(work: Work, act: Act) -> Links:
    on, kind = act.fact_date, act.guardianship_kind
    ward_pin, guardian_pin = _ward_and_guardian(act)
    ward, guardian = work.person(ward_pin), work.person(guardian_pin)
    rules.guardian_capable(guardian, guardian_pin, on)
    rules.ward_needs_guardian(ward, ward_pin, kind, on)
    rules.alive_on(ward, ward_pin, on, "guardianship")
    return [
        (ward_pin, {"role": PartyRole.WARD, "on": str(on), "other": guardian_pin, "kind_of": kind}),
        (
            guardian_pin,
            {"role": PartyRole.GUARDIAN, "on": str(on), "other": ward_pin, "kind_of": kind},
        ),
    ]


def _guardianship_ended(work: Work, act: Act) -> Links:
    ward_pin, guardian_pin = _ward_and_guardian(act)
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
        (ward_pin, {**fact, "role": PartyRole.WARD, "other": guardian_pin}),
        (guardian_pin, {**fact, "role": PartyRole.GUARDIAN, "other": ward_pin}),
    ]


HANDLERS: dict[str, Callable[[Work, Act], Links]] = {
    ActKind.BIRTH: _birth,
    ActKind.MARRIAGE: _marriage,
    ActKind.DIVORCE: _divorce,
    ActKind.DEATH: _death,
    ActKind.PARENTAGE: _parentage,
    ActKind.ADOPTION: _parentage,
    ActKind.GUARDIANSHIP_OPENED: _guardianship_opened,
    ActKind.GUARDIANSHIP_ENDED: _guardianship_ended,
    ActKind.CORRECTION: check_correction,
}


def pins_of(acts: Iterable[Act]) -> set[str]:
    return {pin for act in acts for pin in act.pins}
