"""Every rule of the law, one function each, pure: facts in, an error out (or nothing).

Rules compare the dates of the facts, never the order in which they reached the
ledger: a new fact is checked against every known fact, earlier or later. With
partial dates a rule refuses only what the known facts make certain. Facts are
ordered by their earliest possible day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from lifeledger.domain.dates import (
    PartialDate,
    greatest_possible_age,
    least_possible_age,
    surely_after,
    surely_before,
)
from lifeledger.domain.errors import (
    ActAfterDeath,
    ActBeforeBirth,
    Bigamy,
    BirthAlreadyRegistered,
    DeathAlreadyRegistered,
    DeathBeforeBirth,
    DivorceBeforeMarriage,
    GuardianNotAdult,
    KinshipBan,
    MarriageNotOpen,
    ParentDeadAtBirth,
    ParentNotOlder,
    ParentRoleTaken,
    ParentSexMismatch,
    PartyDeceased,
    SameSexMarriage,
    UnderMarriageAge,
    WardNotMinor,
)
from lifeledger.domain.person import MarriageSpan, Person
from lifeledger.domain.pin import Pin

MARRIAGE_AGE = {"M": 20, "F": 18}  # Marriage and Family Law 2014, art. 8
ADULT_AGE = 18
FATHER_POSTHUMOUS_DAYS = 300  # a child born up to ~300 days after the father's death is his
DIRECT_LINE_DEPTH = 16
NEAR_KIN_GENERATIONS = 2  # "within three generations": a common parent or grandparent

ParentsOf = Callable[[str], dict[str, str]]
DiedOn = Callable[[str], PartialDate | None]


# Birth and life span


def birth_not_registered(person: Person | None, pin: str) -> None:
    if person is not None and person.birth is not None:
        raise BirthAlreadyRegistered(
            f"birth refused: {pin} already has a birth registered "
            f"(registration {person.birth['ref']})",
            pin=pin,
            existing=person.birth["ref"],
        )


def facts_after_birth(person: Person, born: PartialDate) -> None:
    """A birth arriving late must not come after anything the person already did."""
    for fact in person.dated_facts():
        if fact.role in ("child", "ward"):
            continue
        if surely_before(fact.on, born):
            raise ActBeforeBirth(
                f"birth refused: {person.pin} would be born {born}, after their "
                f"{fact.kind} on {fact.on} (registration {fact.ref})",
                pin=person.pin,
                born=str(born),
                act=fact.ref,
            )
    for span in person.marriages():
        marriage_age(person.pin, person.sex, born, span.start, span.ref)


def parent_sex_fits_role(pin: str, sex: str, role: str) -> None:
    expected = "F" if role.endswith("mother") else "M"
    if sex != expected:
        raise ParentSexMismatch(
            f"{role} {pin} is {'a man' if sex == 'M' else 'a woman'}; a {role} must be "
            f"{'a woman' if expected == 'F' else 'a man'}",
            parent=pin,
            role=role,
        )


def parent_older(
    parent: str, parent_born: PartialDate, role: str, child: str, born: PartialDate
) -> None:
    if not parent_born.earliest < born.latest:
        raise ParentNotOlder(
            f"{role} {parent} (born {parent_born}) is not older than the child "
            f"{child} (born {born})",
            parent=parent,
            child=child,
        )


def parent_alive_at_birth(parent: Person, role: str, born: PartialDate, child: str) -> None:
    """The mother is alive at the birth; the father may have died up to ~300 days before."""
    died = parent.died_on
    slack = FATHER_POSTHUMOUS_DAYS if role.endswith("father") else 0
    if died is not None and surely_after(born, died, slack):
        raise ParentDeadAtBirth(
            f"birth refused: the {role} {parent.pin} died on {died} (registration "
            f"{parent.death['ref'] if parent.death else ''}), before the birth of {child} "
            f"on {born}",
            parent=parent.pin,
            child=child,
            died=str(died),
        )


def parent_role_free(child: Person | None, role: str, parent_pin: str, child_pin: str) -> None:
    """A child has one parent per role unless the earlier one is revoked."""
    if child is None:
        return
    current = child.parents((role,)).get(role)
    if current is not None and current != parent_pin:
        fact = child.parent_facts(role)[0]
        raise ParentRoleTaken(
            f"{role} of {child_pin} is already {current} (registration {fact['ref']})",
            child=child_pin,
            role=role,
            existing=current,
        )


# Death


def death_not_registered(person: Person | None, pin: str) -> None:
    if person is not None and person.death is not None:
        raise DeathAlreadyRegistered(
            f"death refused: {pin} already has a death registered on {person.death['on']} "
            f"(registration {person.death['ref']})",
            pin=pin,
            existing=person.death["ref"],
        )


def death_after_life(
    person: Person | None, pin: str, died: PartialDate, born: PartialDate | None = None
) -> None:
    """Not before birth; no act of the person dated after the death (father: 300 days).
    Without a birth on record, the birth is as the act states it, else the PIN's year."""
    if born is None:
        born = person.born_on if person else PartialDate(Pin(pin).birth_year)
    if surely_before(died, born):
        raise DeathBeforeBirth(
            f"death refused: {pin} would die on {died}, before being born on {born}",
            pin=pin,
            died=str(died),
            born=str(born),
        )
    if person is None:
        return
    for fact in person.dated_facts():
        if fact.kind in ("guardianship_ended", "death"):  # a correction moves the death itself
            continue
        slack = FATHER_POSTHUMOUS_DAYS if (fact.kind, fact.role) == ("birth", "father") else 0
        if surely_after(fact.on, died, slack):
            raise ActAfterDeath(
                f"death refused: {pin} would die on {died}, before their {fact.kind} on "
                f"{fact.on} (registration {fact.ref})",
                pin=pin,
                died=str(died),
                act=fact.ref,
            )


def alive_on(person: Person | None, pin: str, on: PartialDate, what: str) -> None:
    died = person.died_on if person else None
    if person is not None and died is not None and surely_before(died, on):
        raise PartyDeceased(
            f"{what} refused: {pin} died on {died} (registration "
            f"{person.death['ref'] if person.death else ''}), before {on}",
            pin=pin,
            died=str(died),
        )


# Marriage


def marriage_age(pin: str, sex: str, born: PartialDate, on: PartialDate, ref: str = "") -> None:
    minimum = MARRIAGE_AGE[sex]
    if greatest_possible_age(born, on) < minimum:
        where = f" (registration {ref})" if ref else ""
        raise UnderMarriageAge(
            f"marriage refused: {pin} ({'man' if sex == 'M' else 'woman'}, born {born}) is "
            f"under {minimum} on {on}{where}",
            pin=pin,
            born=str(born),
            on=str(on),
            minimum=minimum,
        )


def man_and_woman(a: str, sex_a: str, b: str, sex_b: str) -> None:
    if sex_a == sex_b:
        raise SameSexMarriage(
            f"marriage refused: {a} and {b} are both {'men' if sex_a == 'M' else 'women'}",
            pins=[a, b],
        )


def marriage_end(
    span: MarriageSpan, own_death: PartialDate | None, spouse_death: PartialDate | None
) -> date | None:
    """The day a marriage ended: divorce, or either spouse's death; None while open."""
    ends = [d.earliest for d in (span.divorced_on, own_death, spouse_death) if d is not None]
    return min(ends) if ends else None


def not_married_during(
    person: Person, start: PartialDate, end: date | None, died_on: DiedOn
) -> None:
    """The new marriage [start, end) must not overlap any other marriage of the person."""
    for span in person.marriages():
        other_end = marriage_end(span, person.died_on, died_on(span.spouse))
        overlaps = (other_end is None or start.earliest < other_end) and (
            end is None or span.start.earliest < end
        )
        if overlaps:
            since = (
                f"since {span.start}"
                if span.start.earliest <= start.earliest
                else (f"from {span.start}, while this marriage would still be open")
            )
            raise Bigamy(
                f"marriage refused: {person.pin} is married to {span.spouse} {since} "
                f"(registration {span.ref})",
                pin=person.pin,
                spouse=span.spouse,
                existing=span.ref,
            )


# Kinship (art. 5): direct line, a common parent or grandparent, adoptive parent and child


def ancestors(pin: str, parents_of: ParentsOf, depth: int) -> dict[str, int]:
    """Ancestor PIN -> nearest generation (1 = parent), up to `depth` generations."""
    found: dict[str, int] = {}
    frontier = [pin]
    for generation in range(1, depth + 1):
        next_frontier = []
        for person in frontier:
            for parent in parents_of(person).values():
                if parent not in found:
                    found[parent] = generation
                    next_frontier.append(parent)
        if not next_frontier:
            break
        frontier = next_frontier
    return found


_DIRECT_NAMES = {1: "parent", 2: "grandparent", 3: "great-grandparent"}
_COLLATERAL_NAMES = {
    (1, 1): "siblings",
    (2, 2): "first cousins",
    (1, 2): "uncle/aunt and niece/nephew",
    (2, 1): "uncle/aunt and niece/nephew",
}


def banned_kinship(a: str, b: str, parents_of: ParentsOf, adoptive_of: ParentsOf) -> str | None:
    """How `a` and `b` are too closely related to marry, or None."""
    up_a = ancestors(a, parents_of, DIRECT_LINE_DEPTH)
    up_b = ancestors(b, parents_of, DIRECT_LINE_DEPTH)
    for x, y, up in ((a, b, up_a), (b, a, up_b)):
        if y in up:
            name = _DIRECT_NAMES.get(up[y], f"ancestor ({up[y]} generations up)")
            return f"direct line: {y} is the {name} of {x}"
        if y in adoptive_of(x).values():
            return f"adoptive parent and child: {y} adopted {x}"
    near_a = {p: g for p, g in up_a.items() if g <= NEAR_KIN_GENERATIONS}
    near_b = {p: g for p, g in up_b.items() if g <= NEAR_KIN_GENERATIONS}
    common = sorted(set(near_a) & set(near_b), key=lambda p: (near_a[p] + near_b[p], p))
    if not common:
        return None
    nearest = common[0]
    generations = (near_a[nearest], near_b[nearest])
    name = _COLLATERAL_NAMES[generations]
    if generations == (1, 1) and set(parents_of(a).values()) != set(parents_of(b).values()):
        name = "half-siblings"
    return f"{name} (common ancestor {nearest})"


def not_kin(
    a: str,
    b: str,
    parents_of: ParentsOf,
    adoptive_of: ParentsOf,
    what: str = "marriage refused",
    ref: str = "",
) -> None:
    relation = banned_kinship(a, b, parents_of, adoptive_of)
    if relation is not None:
        where = f" (registration {ref})" if ref else ""
        raise KinshipBan(
            f"{what}: {a} and {b} are relatives who may not marry: {relation}{where}",
            pins=[a, b],
            relation=relation,
        )


def marriages_stay_lawful(
    pins: Iterable[str],
    marriages_of: Callable[[str], list[MarriageSpan]],
    parents_of: ParentsOf,
    adoptive_of: ParentsOf,
    what: str,
) -> None:
    """A new parent link must not make an already recorded marriage one between kin."""
    for pin in pins:
        for span in marriages_of(pin):
            not_kin(pin, span.spouse, parents_of, adoptive_of, what, span.ref)


# Divorce


def divorce_allowed(span: MarriageSpan, effective: PartialDate, end: date | None) -> None:
    if span.divorced_on is not None:
        raise MarriageNotOpen(
            f"divorce refused: marriage {span.ref} already ended by divorce on "
            f"{span.divorced_on} (registration {span.divorce_ref})",
            marriage=span.ref,
        )
    if surely_before(effective, span.start):
        raise DivorceBeforeMarriage(
            f"divorce refused: effective {effective}, before the marriage on {span.start} "
            f"(registration {span.ref})",
            marriage=span.ref,
        )
    if end is not None and effective.earliest > end:
        raise MarriageNotOpen(
            f"divorce refused: marriage {span.ref} had already ended on {end} by a death",
            marriage=span.ref,
        )


# Guardianship


def guardian_capable(guardian: Person | None, pin: str, on: PartialDate) -> None:
    born = guardian.born_on if guardian else PartialDate(Pin(pin).birth_year)
    if greatest_possible_age(born, on) < ADULT_AGE:
        raise GuardianNotAdult(
            f"guardianship refused: guardian {pin} (born {born}) is under {ADULT_AGE} on {on}",
            pin=pin,
        )
    alive_on(guardian, pin, on, "guardianship")


def ward_needs_guardian(ward: Person | None, pin: str, kind: str, on: PartialDate) -> None:
    """A ward is a minor, unless the guardianship is for an adult who lacks capacity."""
    if kind != "minor":
        return
    born = ward.born_on if ward else PartialDate(Pin(pin).birth_year)
    if least_possible_age(born, on) >= ADULT_AGE:
        raise WardNotMinor(
            f"guardianship refused: ward {pin} (born {born}) is an adult on {on}; "
            f"kind 'minor' needs a ward under {ADULT_AGE}",
            pin=pin,
        )
