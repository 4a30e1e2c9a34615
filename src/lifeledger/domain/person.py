"""Person aggregate: what the rules need to know about one PIN, gathered from its acts.

The aggregate's id is derived from the PIN, so every write that touches a person
competes on that person's version: two concurrent marriages of one man cannot
both be saved. It keeps one small "fact" per act that concerns the person (its
date, kind, role and the other person), never the act's full content; the
registration aggregate holds that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eventsourcing.domain import Aggregate

from lifeledger.domain.acts import PARENT_ROLES, ledger_id
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.pin import Pin
from lifeledger.domain.vocabulary import BLOOD_ROLES

Fact = dict[str, Any]
ADOPTIVE_ROLES = ("adoptive_mother", "adoptive_father")


@lru_cache(maxsize=200_000)
def person_id(pin: str) -> Any:
    return ledger_id("person", pin)


@dataclass(frozen=True)
class MarriageSpan:
    """One marriage of this person: from its date until a divorce (if any)."""

    act: str
    ref: str
    spouse: str
    start: PartialDate
    divorced_on: PartialDate | None
    divorce_ref: str | None


@dataclass(frozen=True)
class DatedFact:
    act: str
    ref: str
    kind: str
    role: str
    on: PartialDate


class Person(Aggregate):
    """The facts about one PIN that the rules of the law look at."""

    class Opened(Aggregate.Created):
        pin: str
        fact: Fact

    class FactLinked(Aggregate.Event):
        fact: Fact

        def apply(self, aggregate: Any) -> None:
            aggregate._link(self.fact)

    class FactCorrected(Aggregate.Event):
        act: str
        values: dict[str, Any]

        def apply(self, aggregate: Any) -> None:
            aggregate.facts[self.act] = {**aggregate.facts[self.act], **self.values}

    class FactVoided(Aggregate.Event):
        act: str

        def apply(self, aggregate: Any) -> None:
            aggregate.voided.append(self.act)

    def __init__(self, pin: str, fact: Fact) -> None:
        self.pin = pin
        self.facts: dict[str, Fact] = {}
        self.voided: list[str] = []
        self._link(fact)

    @classmethod
    def open(cls, pin: str, fact: Fact) -> Person:
        return cls._create(cls.Opened, id=person_id(pin), pin=pin, fact=fact)

    def link(self, fact: Fact) -> None:
        self.trigger_event(self.FactLinked, fact=fact)

    def correct(self, act: str, values: dict[str, Any]) -> None:
        self.trigger_event(self.FactCorrected, act=act, values=values)

    def void(self, act: str) -> None:
        self.trigger_event(self.FactVoided, act=act)

    def _link(self, fact: Fact) -> None:
        self.facts[fact["act"]] = fact

    # Views the rules read. Voided (revoked) acts no longer count.

    def live_facts(self) -> list[Fact]:
        if not self.voided:
            return list(self.facts.values())
        return [f for a, f in self.facts.items() if a not in self.voided]

    def find(self, kind: str, role: str | None = None) -> Fact | None:
        # No copy of the facts: the rules ask for the birth and the death over and over.
        for act, fact in self.facts.items():
            kind_fits = fact["kind"] == kind and (role is None or fact["role"] == role)
            if kind_fits and act not in self.voided:
                return fact
        return None

    @property
    def birth(self) -> Fact | None:
        return self.find("birth", "child")

    @property
    def death(self) -> Fact | None:
        return self.find("death")

    @property
    def born_on(self) -> PartialDate:
        """The birth date: from the birth act, else as other acts state it, else the PIN's year."""
        if self.birth:
            return PartialDate.parse(self.birth["on"])
        stated = [f["born"] for f in self.live_facts() if f.get("born")]
        if stated:
            return max((PartialDate.parse(s) for s in stated), key=_precision)
        return PartialDate(Pin(self.pin).birth_year)

    @property
    def died_on(self) -> PartialDate | None:
        return PartialDate.parse(self.death["on"]) if self.death else None

    @property
    def sex(self) -> str:
        birth = self.birth
        return str(birth["sex"]) if birth and birth.get("sex") else Pin(self.pin).sex

    def marriages(self) -> list[MarriageSpan]:
        live = self.live_facts()
        divorces = {f["marriage"]: f for f in live if f["kind"] == "divorce"}
        spans = []
        for fact in live:
            if fact["kind"] != "marriage":
                continue
            divorce = divorces.get(fact["act"])
            spans.append(
                MarriageSpan(
                    act=fact["act"],
                    ref=fact["ref"],
                    spouse=fact["other"],
                    start=PartialDate.parse(fact["on"]),
                    divorced_on=PartialDate.parse(divorce["on"]) if divorce else None,
                    divorce_ref=divorce["ref"] if divorce else None,
                )
            )
        return spans

    def parents(self, roles: tuple[str, ...] = BLOOD_ROLES) -> dict[str, str]:
        """Parent PINs by role, from the birth act and later recognitions or adoptions."""
        found: dict[str, str] = {}
        for fact in self.live_facts():
            if fact["role"] == "child":
                for role, pin in fact.get("parents", {}).items():
                    if role in roles:
                        found[role] = pin
        return found

    def relatives(self) -> set[str]:
        """The PINs of this person's parents (by birth, recognition or adoption) and spouses
        (former ones too): whom the rules about this person may read next."""
        spouses = {f["other"] for f in self.live_facts() if f["kind"] == "marriage"}
        return spouses | set(self.parents(PARENT_ROLES).values())

    def parent_facts(self, role: str) -> list[Fact]:
        return [
            f for f in self.live_facts() if f["role"] == "child" and role in f.get("parents", {})
        ]

    def children(self, roles: tuple[str, ...] = BLOOD_ROLES) -> list[str]:
        return [f["other"] for f in self.live_facts() if f["role"] in roles]

    def dated_facts(self) -> list[DatedFact]:
        return [
            DatedFact(f["act"], f["ref"], f["kind"], f["role"], PartialDate.parse(f["on"]))
            for f in self.live_facts()
        ]

    def open_guardianship(self, guardian: str) -> Fact | None:
        """The guardianship of this ward by `guardian` that no later act has ended."""
        live = self.live_facts()
        ended = {f["opened"] for f in live if f["kind"] == "guardianship_ended"}
        for fact in live:
            if (
                fact["kind"] == "guardianship_opened"
                and fact["role"] == "ward"
                and fact["other"] == guardian
                and fact["act"] not in ended
            ):
                return fact
        return None


def _precision(date: PartialDate) -> int:
    return (date.month is not None) + (date.day is not None)


__all__ = [
    "ADOPTIVE_ROLES",
    "BLOOD_ROLES",
    "PARENT_ROLES",
    "DatedFact",
    "MarriageSpan",
    "Person",
    "person_id",
]
