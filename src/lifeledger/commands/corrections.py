"""Correcting an act already recorded: which fields a correction may change and the rules a
moved date must still keep (`check_correction`, the handler of a correction act), then the
change itself, to the act and to the facts its persons hold (`apply_correction`)."""

from __future__ import annotations

from typing import Any

from lifeledger.commands.unit_of_work import Links, Work
from lifeledger.domain import rules
from lifeledger.domain.act_layout import ACT_FIELDS, FACT_FIELDS, PERSON_PATHS
from lifeledger.domain.acts import PERSON_FIELDS, Act, Reference
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.errors import (
    ActNotFound,
    ActRevoked,
    FieldNotCorrectable,
    InvalidEntry,
    PinNotCorrectable,
    StaleCorrection,
)
from lifeledger.domain.person import Fact, Person
from lifeledger.domain.registration import Registration
from lifeledger.domain.vocabulary import BLOOD_ROLES, ActKind, PartyRole


def check_correction(work: Work, act: Act) -> Links:
    """Checked here; the target act and its persons are changed by `apply_correction`."""
    target = _correction_target(work, act)
    subject = act.persons[PartyRole.SUBJECT].named_pin
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
    if target.kind == ActKind.BIRTH and fact["role"] == PartyRole.CHILD:
        rules.facts_after_birth(person, moved)
    elif target.kind == ActKind.BIRTH and fact["role"] in BLOOD_ROLES:
        child = str(fact["other"])
        rules.parent_older(person.pin, person.born_on, fact["role"], child, moved)
        rules.parent_alive_at_birth(person, fact["role"], moved, child)
    elif target.kind == ActKind.DEATH:
        rules.death_after_life(person, person.pin, moved)
