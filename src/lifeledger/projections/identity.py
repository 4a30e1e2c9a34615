"""Who a person is (names, sex, birth, death, status), folded from what each of their acts says
about them: pure functions, tested without a database.

Each act contributes one `Fact` per person it describes: its kind, the person's role, its
order (fact date, registration date, position) and the person's fields as the act gives them.
The identity keeps, per field, the value of the best-ranked fact (own birth act first, then
the latest); these *sources* are stored with the person's row (`person_rows`), so a batch that
adds acts applies the new facts to them and never reads the acts again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from lifeledger.domain.acts import PERSON_FIELDS
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.pin import Pin
from lifeledger.domain.registration import Described, persons_of
from lifeledger.domain.vocabulary import ActKind, PartyRole
from lifeledger.jsoncodec import dumps, loads, loads_plain

if TYPE_CHECKING:
    from lifeledger.database import Row
    from lifeledger.domain.registration import Registration
    from lifeledger.projections.runner import Envelope

IDENTITY_FIELDS = tuple(f for f in PERSON_FIELDS if f not in ("birth_year", "residence"))
"""A person's fields the read model keeps as facts: a birth year is read into the birth date
(`year_of`), and where a person lives is not who they are."""
NOT_DESCRIBING = (ActKind.CORRECTION, ActKind.DIVORCE)
IDENTITY_KEYS = frozenset(IDENTITY_FIELDS)


@dataclass(frozen=True, slots=True)
class Fact:
    """What one act says about one person: the act's kind and date (`on`), the person's role
    in it, its `order` (fact date's earliest day, registration date, position), its
    registration reference (`ref`: authority, book, number, registration date) and the
    person's identity fields as the act gives them (`person`)."""

    kind: str
    role: str
    on: str
    order: tuple[Any, ...]
    ref: tuple[Any, ...]
    person: Mapping[str, str]

    @classmethod
    def of(
        cls,
        kind: str,
        role: str,
        on: str,
        order: tuple[Any, ...],
        ref: tuple[Any, ...],
        node: Mapping[str, Any],
    ) -> Fact:
        """The fact, keeping of the act's node for the person (`node`) only identity fields
        given as text: an act stored before its fields had to be text may hold another value."""
        person = {
            k: v for k, v in node.items() if k in IDENTITY_KEYS and type(v) is str and v != ""
        }
        return cls(kind, role, on, order, ref, person)


def fact(pin: str, role: str, act: Row, content: dict[str, Any]) -> Fact:
    """What one act says about one person (`act` has the ll_act columns it needs)."""
    order = (act["fact_sort"], act["registered_on"], act["position"])
    ref = (act["authority"], act["book"], act["number"], act["registered_on"])
    person = next(
        (node for p, r, node in persons_of(act["kind"], content) if (p, r) == (pin, role)), {}
    )
    return Fact.of(act["kind"], role, act["fact_date"], order, ref, person)


def facts_of_event(envelope: Envelope, described: Described) -> dict[str, Fact]:
    """The facts a newly registered act adds, by PIN (acts that describe nobody add none);
    `described` is what `persons_of` found in it."""
    event: Registration.Registered = envelope.event
    if event.kind in NOT_DESCRIBING:
        return {}
    ref = event.reference
    on, registered = event.occurred_on, ref["registered_on"]
    order = (fact_sort(on), registered, envelope.position)
    where = (ref["authority"], ref["book"], ref["number"], registered)
    return {
        pin: Fact.of(event.kind, role, on, order, where, person) for pin, role, person in described
    }


@lru_cache(maxsize=65536)
def fact_sort(occurred_on: str) -> str:
    """The sortable date of a (possibly partial) fact date: its earliest day."""
    return PartialDate.parse(occurred_on).earliest.isoformat()


def roles(event: Registration.Registered) -> list[tuple[str, str]]:
    """(PIN, role) for each person the act concerns (the event's `parties`)."""
    return [(party["pin"], party["role"]) for party in event.parties]


def describing(acts: list[Row]) -> list[Row]:
    """The acts that say who the person is: a person none of whose acts in force describes
    them (all revoked, say) is not a person of the read models."""
    return [a for a in acts if a["kind"] not in NOT_DESCRIBING]


def identity_of(pin: str, acts: list[Row]) -> dict[str, Any]:
    """Who the person is, from their acts (rows with `content`)."""
    return fold_identity(pin, [fact(pin, a["role"], a, loads(a["content"])) for a in acts])


def fold_identity(pin: str, facts: Iterable[Fact]) -> dict[str, Any]:
    """Who the person is, from their birth act, else from the latest act that describes them."""
    return render(pin, sources_of(facts))


Sources = dict[str, Any]
"""What an identity stands on: for each field, its value and the rank of the act that gave it
(the person's own birth act first, then the latest by fact date); the birth act; the first
death. Kept with the person's row, so a new act is applied to it alone."""


def sources_of(facts: Iterable[Fact]) -> Sources:
    found: Sources = {"fields": {}, "birth": None, "death": None}
    for each in facts:
        apply_fact(found, each)
    return found


def apply_fact(sources: Sources, each: Fact) -> bool:
    """Let one more fact count in `sources`; True when it changed what the identity stands on."""
    changed = False
    kind = each.kind
    own_birth = _own_birth(each)
    if kind not in NOT_DESCRIBING:
        rank, fields = _rank(each), sources["fields"]
        for key, value in each.person.items():
            held = fields.get(key)
            if held is None or rank > held[0]:
                fields[key], changed = [rank, value], True
    for which, wanted in (("birth", own_birth), ("death", kind == ActKind.DEATH)):
        first = sources[which]
        if wanted:
            order = list(each.order)  # as stored sources hold it (JSON has no tuples)
            if first is None or order < first["order"]:
                sources[which] = {"on": each.on, "order": order, "ref": list(each.ref)}
                changed = True
    return changed


class SourcesGuard(NamedTuple):
    """What `could_change` needs of a person's sources, kept as text in its own column beside
    them (`text`): the lowest rank a field holds (None: no field) and the fields held. Small,
    so a batch reads it for every person it touches, and the whole sources only of those a
    new fact may change."""

    lowest: list[Any] | None
    held: frozenset[str]

    @classmethod
    def of(cls, sources: Sources) -> SourcesGuard:
        fields = sources["fields"]
        lowest = min(map(itemgetter(0), fields.values()), default=None)
        return cls(lowest, _held(tuple(sorted(fields))))

    def text(self) -> str:
        return dumps([self.lowest, sorted(self.held)])

    @classmethod
    def read(cls, text: str) -> SourcesGuard:
        """A stored guard (`text`): it holds field names, ISO dates and positions, never a
        long number (see `jsoncodec.loads_plain`)."""
        lowest, held = loads_plain(text)
        return cls(lowest, _held(tuple(held)))


@lru_cache(maxsize=4096)
def _held(fields: tuple[str, ...]) -> frozenset[str]:
    """One set per combination of fields (most persons hold the same ones)."""
    return frozenset(fields)


def could_change(guard: SourcesGuard, each: Fact) -> bool:
    """Might `apply_fact` change sources with this guard? False only when it would not: a fact
    that is neither the person's own birth nor a death changes only a field not held, or one
    held at a lower rank than its own (so above the lowest)."""
    kind = each.kind
    if kind in NOT_DESCRIBING:
        return False
    if kind == ActKind.DEATH or _own_birth(each):
        return True
    lowest, held = guard
    return lowest is None or _rank(each) > lowest or not held.issuperset(each.person)


def render(pin: str, sources: Sources) -> dict[str, Any]:
    """The identity that its sources give."""
    found: dict[str, Any] = {"pin": pin, "sex": Pin(pin).sex, "birth_date": None}
    found.update({key: value for key, (_, value) in sorted(sources["fields"].items())})
    birth, death = sources["birth"], sources["death"]
    if birth is not None:
        found["birth_date"] = birth["on"]
        found["birth_registration"] = dict(
            zip(("authority", "book", "number", "registered_on"), birth["ref"], strict=True)
        )
    found["birth_date"] = found.get("birth_date") or str(Pin(pin).birth_year)
    found["death_date"] = death["on"] if death else None
    found["status"] = "dead" if death else "alive"
    found.setdefault("full_name", None)
    return found


def year_of(date_text: str) -> int | None:
    """The year of a (partial) date, None when the text is none (an act stored before
    corrected dates were checked may hold any text)."""
    return int(date_text[:4]) if date_text[:4].isdigit() else None


def _rank(each: Fact) -> list[Any]:
    """How a fact's fields rank against others': the person's own birth act first, then the
    latest (by fact date, registration date, position)."""
    return [int(_own_birth(each)), *each.order]


def _own_birth(each: Fact) -> bool:
    """The person's own birth act describes them best; it is read last so it wins."""
    return each.kind == ActKind.BIRTH and each.role == PartyRole.CHILD
