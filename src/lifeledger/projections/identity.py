"""Who a person is (names, sex, birth, death, status), folded from what each of their acts says
about them, and the `ll_person` rows (with the search's word index) that keep it current.

Each act contributes one *fact* per person it describes: its kind, the person's role, its
order (fact date, registration date, position) and the person's fields as the act gives them.
The identity keeps, per field, the value of the best-ranked fact (own birth act first, then
the latest); these *sources* are stored with the person's row, so a batch that adds acts
weighs the new facts against them and never reads the acts again (and writes nothing for a
person no new fact changes). A correction or a revocation changes an act already counted, so
the sources of its persons are read again from all their acts.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import Any

import orjson
from unidecode import unidecode

from lifeledger.database import Row, Tx
from lifeledger.domain.act_layout import PERSON_PATHS
from lifeledger.domain.acts import PERSON_FIELDS, get_path
from lifeledger.domain.dates import PartialDate
from lifeledger.domain.pin import Pin
from lifeledger.domain.registration import Registration, set_path
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections.runner import Envelope

Fact = dict[str, Any]
PersonRow = tuple[Any, ...]
IDENTITY_FIELDS = tuple(f for f in PERSON_FIELDS if f not in ("birth_year", "residence"))
"""A person's fields the read model keeps as facts: a birth year is read into the birth date
(`year_of`), and where a person lives is not who they are."""
NOT_DESCRIBING = ("correction", "divorce")
WORD = re.compile(r"[a-z0-9]+")
IDENTITY_KEYS = frozenset(IDENTITY_FIELDS)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII for matching names with or without diacritics ("Đặng" -> "dang")."""
    return " ".join(unidecode(text.replace("Đ", "D").replace("đ", "d")).lower().split())


def counts(row: Row, as_of: str | None, registered: str = "registered_on") -> bool:
    """Did the ledger count this row on `as_of` (registered by then, not revoked by then)?
    None: now. A revoked act stays in the ledger, and counts for nothing once revoked
    (docs/adr/0002-revoked-acts.md)."""
    return known_on(row, as_of, registered) and not revoked_by(row, as_of)


def known_on(row: Row, as_of: str | None, registered: str = "registered_on") -> bool:
    """Was this row registered by `as_of` (None: now)?"""
    return as_of is None or (row[registered] is not None and row[registered] <= as_of)


def revoked_by(row: Row, as_of: str | None) -> bool:
    """Had a decision revoked this row by `as_of` (None: now)? Its date is the decision's."""
    return bool(row.get("revoked")) and (as_of is None or (row.get("revoked_on") or "") <= as_of)


# Facts and the identity folded from them


def fact(pin: str, role: str, act: Row, content: dict[str, Any]) -> Fact:
    """What one act says about one person (`act` has the ll_act columns it needs)."""
    order = [act["fact_sort"], act["registered_on"], act["position"]]
    ref = [act["authority"], act["book"], act["number"], act["registered_on"]]
    person = next(
        (node for p, r, node in persons_of(act["kind"], content) if (p, r) == (pin, role)), {}
    )
    return _fact(act["kind"], role, act["fact_date"], order, ref, person)


def _fact(
    kind: str, role: str, on: str, order: list[Any], ref: list[Any], person: dict[str, Any]
) -> Fact:
    return {
        "kind": kind,
        "role": role,
        "on": on,
        "order": order,
        "ref": ref,
        # Text only: an act stored before its fields had to be text may hold another value.
        "person": {
            k: v for k, v in person.items() if k in IDENTITY_KEYS and type(v) is str and v != ""
        },
    }


def facts_of_event(envelope: Envelope, described: Described) -> dict[str, Fact]:
    """The facts a newly registered act adds, by PIN (acts that describe nobody add none);
    `described` is what `persons_of` found in it."""
    event: Registration.Registered = envelope.event
    if event.kind in NOT_DESCRIBING:
        return {}
    ref = event.reference
    on, registered = event.occurred_on, ref["registered_on"]
    order = [fact_sort(on), registered, envelope.position]  # shared: facts are only read
    where = [ref["authority"], ref["book"], ref["number"], registered]
    return {
        pin: _fact(event.kind, role, on, order, where, person) for pin, role, person in described
    }


@lru_cache(maxsize=65536)
def fact_sort(occurred_on: str) -> str:
    """The sortable date of a (possibly partial) fact date: its earliest day."""
    return PartialDate.parse(occurred_on).earliest.isoformat()


PERSON_NODES = {
    kind: [(path, path.split(".")[0].rstrip("s")) for path in paths]
    for kind, paths in PERSON_PATHS.items()
}
"""Where each kind of act describes a person, and the person's role."""


Described = list[tuple[str, str, dict[str, Any]]]
"""(PIN, role, what the act says of them) for each person an act describes."""


def persons_of(kind: str, content: dict[str, Any]) -> Described:
    """The persons an act of this kind describes: where the act's own links to them were
    found (`roles`), so a new act and one read again find each person's part alike."""
    found = []
    for path, role in PERSON_NODES.get(kind, ()):
        node = get_path(content, path)
        if isinstance(node, dict) and node.get("pin"):
            found.append((str(node["pin"]), role, node))
    return found


def roles(event: Registration.Registered, described: Described) -> list[tuple[str, str]]:
    """(PIN, role) for each person the act concerns (the event's `parties`)."""
    return [(party["pin"], party["role"]) for party in event.parties]


def describing(acts: list[Row]) -> list[Row]:
    """The acts that say who the person is: a person none of whose acts in force describes
    them (all revoked, say) is not a person of the read models."""
    return [a for a in acts if a["kind"] not in NOT_DESCRIBING]


def identity(pin: str, acts: list[Row]) -> dict[str, Any]:
    """Who the person is, from their acts (rows with `content`)."""
    return fold_identity(pin, [fact(pin, a["role"], a, loads(a["content"])) for a in acts])


def fold_identity(pin: str, facts: Iterable[Fact]) -> dict[str, Any]:
    """Who the person is, from their birth act, else from the latest act that describes them."""
    return render(pin, sources_of(facts))


Sources = dict[str, Any]
"""What an identity stands on: for each field, its value and the rank of the act that gave it
(the person's own birth act first, then the latest by fact date); the birth act; the first
death. Kept with the person's row, so a new act is weighed against it alone."""


def sources_of(facts: Iterable[Fact]) -> Sources:
    found: Sources = {"fields": {}, "birth": None, "death": None}
    for each in facts:
        weigh(found, each)
    return found


def weigh(sources: Sources, each: Fact) -> bool:
    """Let one more fact count; True when it changed what the identity stands on."""
    changed = False
    kind, order = each["kind"], each["order"]
    own_birth = _own_birth(each)
    if kind not in NOT_DESCRIBING:
        rank, fields = _rank(each), sources["fields"]
        for key, value in each["person"].items():
            held = fields.get(key)
            if held is None or rank > held[0]:
                fields[key], changed = [rank, value], True
    for which, wanted in (("birth", own_birth), ("death", kind == "death")):
        first = sources[which]
        if wanted and (first is None or order < first["order"]):
            sources[which] = {"on": each["on"], "order": order, "ref": each["ref"]}
            changed = True
    return changed


Guard = tuple[list[Any] | None, frozenset[str]]
"""What `could_change` needs of a person's sources, kept as text in its own column beside them
(`guard_text`): the lowest rank a field holds (None: no field) and the fields held. Small, so
a batch reads it for every person it touches, and the whole sources only of those a new fact
may change."""


def guard_of(sources: Sources) -> Guard:
    fields = sources["fields"]
    return min(map(itemgetter(0), fields.values()), default=None), _held(tuple(sorted(fields)))


def guard_text(guard: Guard) -> str:
    lowest, held = guard
    return dumps([lowest, sorted(held)])


def read_guard(text: str) -> Guard:
    """A stored guard (`guard_text`), read by orjson itself: it holds field names, ISO dates
    and positions, never a number orjson could misread (see `jsoncodec`)."""
    lowest, held = orjson.loads(text)
    return lowest, _held(tuple(held))


@lru_cache(maxsize=4096)
def _held(fields: tuple[str, ...]) -> frozenset[str]:
    """One set per combination of fields (most persons hold the same ones)."""
    return frozenset(fields)


def could_change(guard: Guard, each: Fact) -> bool:
    """Might `weigh` change sources with this guard? False only when it would not: a fact that
    is neither the person's own birth nor a death changes only a field not held, or one held
    at a lower rank than its own (so above the lowest)."""
    kind = each["kind"]
    if kind in NOT_DESCRIBING:
        return False
    if kind == "death" or _own_birth(each):
        return True
    lowest, held = guard
    return lowest is None or _rank(each) > lowest or not held.issuperset(each["person"])


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


def _rank(each: Fact) -> list[Any]:
    """How a fact's fields rank against others': the person's own birth act first, then the
    latest (by fact date, registration date, position)."""
    return [int(_own_birth(each)), *each["order"]]


def _own_birth(each: Fact) -> bool:
    """The person's own birth act describes them best; it is read last so it wins."""
    return bool(each["kind"] == "birth" and each["role"] == "child")


# Reading acts


def load_acts(
    tx: Tx, pins: list[str], as_of: str | None, revoked: bool = False
) -> dict[str, list[Row]]:
    """Each person's acts in force in fact-date order (sorted here: the database need not sort
    wide rows), with their content as it stood on `as_of` when one is given. `revoked`: the
    acts revoked by then too (a history read), each flagged in its `revoked` column (an act
    revoked after `as_of` was not revoked then)."""
    found: dict[str, list[Row]] = defaultdict(list)
    where, params = tx.any_of("ap.pin", pins)
    acts = tx.rows(
        "SELECT ap.pin, ap.role, a.act_id, a.kind, a.authority, a.book, a.number, "
        "a.registered_on, a.fact_date, a.fact_sort, a.content, a.original, a.revoked, "
        "a.revoked_on, a.revocation, a.source, a.position FROM ll_act_person ap "
        f"JOIN ll_act a ON a.act_id = ap.act_id WHERE {where}",
        params,
    )
    acts.sort(key=lambda a: (a["fact_sort"], a["registered_on"], a["position"]))
    for act in acts:
        if known_on(act, as_of):
            act["revoked"] = revoked_by(act, as_of)
            if revoked or not act["revoked"]:
                found[act["pin"]].append(act)
    if as_of is not None:
        _undo_later_corrections(tx, [a for acts in found.values() for a in acts], as_of)
    return found


def _undo_later_corrections(tx: Tx, acts: list[Row], as_of: str) -> None:
    """Show each act's content as it stood on `as_of`: its original plus earlier corrections."""
    if not acts:
        return
    where, params = tx.any_of("c.target_id", sorted({a["act_id"] for a in acts}))
    applied: dict[str, list[Row]] = defaultdict(list)
    for change in tx.rows(
        "SELECT c.target_id, c.field, c.after, k.registered_on FROM ll_correction c "
        f"JOIN ll_act k ON k.act_id = c.correction_id WHERE {where} "
        "ORDER BY c.position, c.seq",
        params,
    ):
        if change["registered_on"] <= as_of:
            applied[change["target_id"]].append(change)
    for act in acts:
        if act["original"] is None:  # never corrected: the content is the original
            continue
        content = loads(act["original"])
        for change in applied.get(act["act_id"], []):
            set_path(content, change["field"], loads(change["after"]))
        act["content"] = json.dumps(content)


# The ll_person rows


Stored = tuple[str | None, Guard]
"""What a batch needs of a person's ll_person row: the folded name and the guard."""


class Known:
    """The ll_person rows this process last read or wrote, by PIN (`Stored`), so a batch reads
    from the table only the persons it has not seen: in a catch-up, nearly all the persons a
    batch touches again. They hold at one position only: a batch uses them when its transaction
    finds the projection where this process's last committed batch left it (`begin`), and
    what it writes counts once it has committed (`end`); otherwise (another process applied
    batches meanwhile, a batch failed) they are forgotten. The oldest go beyond `limit`.
    Started from position 0 (an empty table: a rebuild) and never past the limit, they are
    the whole table (`complete`): a person they lack is new, and nothing need be read."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.at: int | None = None  # the position they hold at
        self.open = False  # a batch that may use them is under way
        self.complete = False
        self._rows: dict[str, Stored] = {}
        self._written: dict[str, Stored | None] = {}

    def begin(self, position: int) -> None:
        if position != self.at:
            self._rows.clear()
            self.complete = position == 0
        self._written.clear()
        self.open = True

    def end(self, position: int | None) -> None:
        """The batch committed, the projection now at `position` (None: it failed)."""
        if position is None:
            self._rows.clear()
            self.complete = False
        else:
            for pin, row in self._written.items():
                if row is None:
                    self._rows.pop(pin, None)
                else:
                    self._keep(pin, row)
        excess = len(self._rows) - self.limit
        if excess > 0:
            self.complete = False
            for pin in list(islice(self._rows, excess)):
                del self._rows[pin]
        self.at, self.open = position, False
        self._written.clear()

    def get(self, pin: str) -> Stored | None:
        return self._rows.get(pin) if self.open else None

    def has_all(self) -> bool:
        """Do they hold every row of the table (a person they lack is new)?"""
        return self.open and self.complete

    def remember(self, pin: str, row: Stored) -> None:
        """A row as the table held it when the batch began (read before its writes)."""
        if self.open:
            self._keep(pin, row)

    def _keep(self, pin: str, row: Stored) -> None:
        self._rows.pop(pin, None)  # the newest last: the oldest go first
        self._rows[pin] = row

    def written(self, pin: str, row: Stored | None) -> None:
        """A row the batch wrote (None: deleted)."""
        if self.open:
            self._written[pin] = row


@dataclass
class Changes:
    """What a batch did to persons: facts added by new acts, and persons whose acts changed."""

    known: Known  # the projection's: see `Known`
    added: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    reread: set[str] = field(default_factory=set)
    stored: dict[str, Stored] = field(default_factory=dict)  # the persons' rows before the batch

    def add(self, facts: dict[str, Fact]) -> None:
        """Count the facts one new act adds (see `facts_of_event`)."""
        for pin, each in facts.items():
            self.added[pin].append(each)

    def read_stored(self, tx: Tx, pins: list[str]) -> None:
        """The current rows of these persons (see `Stored`), from memory where it has them."""
        missing = []
        for pin in pins:
            row = self.known.get(pin)
            if row is None:
                missing.append(pin)
            else:
                self.stored[pin] = row
        if not missing or self.known.has_all():
            return
        where, params = tx.any_of("pin", missing)
        query = f"SELECT pin, name_folded, guard FROM ll_person WHERE {where}"
        for found in tx.rows(query, params):
            row = found["name_folded"], read_guard(found["guard"])
            self.stored[found["pin"]] = row
            self.known.remember(found["pin"], row)

    def weighed(self, tx: Tx) -> dict[str, Sources]:
        """The sources of the persons (none to be read again) whose new facts change them: the
        stored sources of those whose guard lets a new fact through, read and weighed, and
        those of persons new to the table."""
        candidates = [
            pin
            for pin, facts in self.added.items()
            if pin not in self.reread and self._may_change(pin, facts)
        ]
        stored = _stored_sources(tx, [pin for pin in candidates if pin in self.stored])
        found = {}
        for pin in candidates:
            sources = stored.get(pin) or sources_of([])
            changed = [weigh(sources, each) for each in self.added[pin]]
            if pin not in stored or any(changed):
                found[pin] = sources
        return found

    def _may_change(self, pin: str, facts: list[Fact]) -> bool:
        row = self.stored.get(pin)
        if row is None:
            return True
        return any(could_change(row[1], each) for each in facts)


def _stored_sources(tx: Tx, pins: list[str]) -> dict[str, Sources]:
    if not pins:
        return {}
    where, params = tx.any_of("pin", pins)
    query = f"SELECT pin, sources FROM ll_person WHERE {where}"
    return {r["pin"]: loads(r["sources"]) for r in tx.rows(query, params)}


def refresh(tx: Tx, changes: Changes, position: int) -> None:
    """Rewrite the rows of the persons a batch changed: their stored sources weighed against
    the new facts (see `Changes.weighed`: a person no new fact changes is not written), or,
    for those whose earlier acts were corrected or revoked, the sources of all their acts read
    again; a person none of whose acts in force describes them any more is deleted."""
    reread = sorted(changes.reread)
    changes.read_stored(tx, [pin for pin in reread if pin not in changes.stored])
    acts = load_acts(tx, reread, None) if reread else {}
    changed, gone = changes.weighed(tx), []
    for pin in reread:
        described = describing(acts.get(pin, []))
        if not described:
            gone.append(pin)
            continue
        changed[pin] = sources_of(fact(pin, a["role"], a, loads(a["content"])) for a in described)
    _delete_people(tx, gone, changes)
    rows = []
    for pin in sorted(changed):
        guard = guard_of(changed[pin])
        rows.append(_person_row(pin, changed[pin], guard, position))
        changes.known.written(pin, (rows[-1][2], guard))
    _rewrite_words(tx, changes.stored, rows)
    _write_people(tx, rows, changes.stored)


def _delete_people(tx: Tx, pins: list[str], changes: Changes) -> None:
    """Delete the rows (and indexed name words) of persons the read models no longer know."""
    for pin in pins:
        stored = changes.stored.get(pin)
        if stored is None:  # never written (the batch registered and revoked their act)
            continue
        tx.defer("ll_person", "DELETE FROM ll_person WHERE pin = %s", (pin,))
        for word in sorted(name_words(stored[0])):
            tx.defer(
                "ll_name_word", "DELETE FROM ll_name_word WHERE word = %s AND pin = %s", (word, pin)
            )
        changes.known.written(pin, None)


PERSON_INSERT = (
    "INSERT INTO ll_person (pin, full_name, name_folded, family_name, given_name, sex, "
    "birth_date, birth_year, province, status, death_date, sources, guard, position) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
)


def _write_people(tx: Tx, rows: list[PersonRow], stored: dict[str, Stored]) -> None:
    """Insert the persons the table did not hold when the batch read them (`stored`; most, in
    a catch-up: a plain INSERT of many rows is copied straight into the table, see `Tx`),
    update the others. The batch holds its projection's position, so no one else writes them."""
    tx.executemany(PERSON_INSERT, [row for row in rows if row[0] not in stored])
    tx.executemany(
        PERSON_INSERT + "ON CONFLICT (pin) DO UPDATE SET "
        "full_name = excluded.full_name, name_folded = excluded.name_folded, "
        "family_name = excluded.family_name, given_name = excluded.given_name, "
        "sex = excluded.sex, birth_date = excluded.birth_date, birth_year = excluded.birth_year,"
        " province = excluded.province, status = excluded.status, "
        "death_date = excluded.death_date, sources = excluded.sources, guard = excluded.guard, "
        "position = excluded.position",
        [row for row in rows if row[0] in stored],
    )


def _person_row(pin: str, sources: Sources, guard: Guard, position: int) -> PersonRow:
    """The ll_person row: the identity's columns (folded for search) and its sources."""
    person = render(pin, sources)
    name = person.get("full_name") or ""
    return (
        pin,
        person.get("full_name"),
        fold(name),
        fold(person.get("family_name") or ""),
        fold(person.get("given_name") or name.split(" ")[-1]),
        person["sex"],
        person["birth_date"],
        year_of(str(person["birth_date"])) or Pin(pin).birth_year,
        pin[:3],
        person["status"],
        person["death_date"],
        dumps(sources),
        guard_text(guard),
        position,
    )


def year_of(date_text: str) -> int | None:
    """The year of a (partial) date, None when the text is none (an act stored before
    corrected dates were checked may hold any text)."""
    return int(date_text[:4]) if date_text[:4].isdigit() else None


def words(folded: str | None) -> list[str]:
    """The words of a folded name, in order, as the search indexes them."""
    return WORD.findall(folded or "")


def name_words(folded: str | None) -> set[str]:
    return set(words(folded))


def _rewrite_words(tx: Tx, stored: dict[str, Stored], rows: list[tuple[Any, ...]]) -> None:
    """Keep the search's word index in step with the names of the persons written (the words
    a person loses and gains are distinct, so all deletions go first, in one statement)."""
    changed = [
        (row[0], name_words(stored[row[0]][0] if row[0] in stored else None), name_words(row[2]))
        for row in rows
    ]
    for pin, old, new in changed:
        for word in sorted(old - new):
            tx.defer(
                "ll_name_word", "DELETE FROM ll_name_word WHERE word = %s AND pin = %s", (word, pin)
            )
    for pin, old, new in changed:
        for word in sorted(new - old):
            tx.defer(
                "ll_name_word",
                "INSERT INTO ll_name_word (word, pin) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (word, pin),
            )
