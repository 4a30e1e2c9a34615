"""The `ll_person` rows: each person's current identity (folded for search) and its sources,
rewritten after each batch for the persons it changed, with the cache of rows a runner last
read or wrote.

A batch that adds acts applies their new facts to the stored sources and never reads the
acts again (and writes nothing for a person no new fact changes). A correction or a
revocation changes an act already counted, so the sources of its persons are folded again
from all their acts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from lifeledger.database import OnConflict, Tx
from lifeledger.domain.pin import Pin
from lifeledger.jsoncodec import dumps, loads
from lifeledger.projections import name_index
from lifeledger.projections.acts_in_force import load_acts
from lifeledger.projections.identity import (
    Fact,
    Sources,
    SourcesGuard,
    apply_fact,
    could_change,
    describing,
    fact,
    render,
    sources_of,
    year_of,
)
from lifeledger.projections.name_index import fold

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_person (
        pin TEXT PRIMARY KEY, full_name TEXT, name_folded TEXT, family_name TEXT,
        given_name TEXT, sex TEXT, birth_date TEXT, birth_year BIGINT, province TEXT,
        status TEXT, death_date TEXT, sources TEXT NOT NULL, guard TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    # Search (see `search`): by birth date, and by each word of each folded name, so that a
    # word prefix is one index range.
    "CREATE INDEX IF NOT EXISTS ll_person_birth ON ll_person (birth_date)",
    "CREATE INDEX IF NOT EXISTS ll_person_name ON ll_person (name_folded)",
)
TABLES = ("ll_person",)
COLUMNS = (
    "pin",
    "full_name",
    "name_folded",
    "family_name",
    "given_name",
    "sex",
    "birth_date",
    "birth_year",
    "province",
    "status",
    "death_date",
    "sources",
    "guard",
    "position",
)
REPLACE = OnConflict(key=("pin",), replace=COLUMNS[1:])
PersonRow = tuple[Any, ...]
StoredRow = tuple[str | None, SourcesGuard]
"""What a batch needs of a person's ll_person row: the folded name and the guard."""


class PersonRowCache:
    """The ll_person rows this process last read or wrote, by PIN (`StoredRow`), so a batch
    reads from the table only the persons it has not seen: in a catch-up, nearly all the
    persons a batch touches again. They hold at one position only: a batch uses them when its
    transaction finds the projection where this process's last committed batch left it
    (`begin`), and what it writes counts once it has committed (`end`); otherwise (another
    process applied batches meanwhile, a batch failed) they are forgotten. The oldest go
    beyond `limit`. Started from position 0 (an empty table: a rebuild) and never past the
    limit, they are the whole table (`complete`): a person they lack is new, and nothing need
    be read."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.at: int | None = None  # the position they hold at
        self.open = False  # a batch that may use them is under way
        self.complete = False
        self._rows: dict[str, StoredRow] = {}
        self._written: dict[str, StoredRow | None] = {}

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

    def get(self, pin: str) -> StoredRow | None:
        return self._rows.get(pin) if self.open else None

    def has_all(self) -> bool:
        """Do they hold every row of the table (a person they lack is new)?"""
        return self.open and self.complete

    def remember(self, pin: str, row: StoredRow) -> None:
        """A row as the table held it when the batch began (read before its writes)."""
        if self.open:
            self._keep(pin, row)

    def _keep(self, pin: str, row: StoredRow) -> None:
        self._rows.pop(pin, None)  # the newest last: the oldest go first
        self._rows[pin] = row

    def written(self, pin: str, row: StoredRow | None) -> None:
        """A row the batch wrote (None: deleted)."""
        if self.open:
            self._written[pin] = row


@dataclass
class Changes:
    """What a batch did to persons: facts added by new acts, and persons whose acts changed."""

    cache: PersonRowCache  # the projection's
    added: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    reread: set[str] = field(default_factory=set)
    stored: dict[str, StoredRow] = field(default_factory=dict)  # the rows before the batch

    def add(self, facts: dict[str, Fact]) -> None:
        """Count the facts one new act adds (see `identity.facts_of_event`)."""
        for pin, each in facts.items():
            self.added[pin].append(each)

    def read_stored(self, tx: Tx, pins: list[str]) -> None:
        """The current rows of these persons (see `StoredRow`), from the cache where it has
        them."""
        missing = []
        for pin in pins:
            row = self.cache.get(pin)
            if row is None:
                missing.append(pin)
            else:
                self.stored[pin] = row
        if not missing or self.cache.has_all():
            return
        where, params = tx.any_of("pin", missing)
        query = f"SELECT pin, name_folded, guard FROM ll_person WHERE {where}"
        for found in tx.rows(query, params):
            row = found["name_folded"], SourcesGuard.read(found["guard"])
            self.stored[found["pin"]] = row
            self.cache.remember(found["pin"], row)

    def changed_sources(self, tx: Tx) -> dict[str, Sources]:
        """The sources of the persons (none to be read again) whose new facts change them: the
        stored sources of those whose guard lets a new fact through, read and applied, and
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
            changed = [apply_fact(sources, each) for each in self.added[pin]]
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
    """Rewrite the rows of the persons a batch changed: their stored sources with the new
    facts applied (see `Changes.changed_sources`: a person no new fact changes is not
    written), or, for those whose earlier acts were corrected or revoked, the sources of all
    their acts read again; a person none of whose acts in force describes them any more is
    deleted."""
    reread = sorted(changes.reread)
    changes.read_stored(tx, [pin for pin in reread if pin not in changes.stored])
    acts = load_acts(tx, reread, None) if reread else {}
    changed, gone = changes.changed_sources(tx), []
    for pin in reread:
        described = describing(acts.get(pin, []))
        if not described:
            gone.append(pin)
            continue
        changed[pin] = sources_of(fact(pin, a["role"], a, loads(a["content"])) for a in described)
    _delete_people(tx, gone, changes)
    rows = []
    for pin in sorted(changed):
        guard = SourcesGuard.of(changed[pin])
        rows.append(_person_row(pin, changed[pin], guard, position))
        changes.cache.written(pin, (rows[-1][2], guard))
    stored = changes.stored
    name_index.rewrite_words(
        tx, [(row[0], stored[row[0]][0] if row[0] in stored else None, row[2]) for row in rows]
    )
    _write_people(tx, rows, stored)


def _delete_people(tx: Tx, pins: list[str], changes: Changes) -> None:
    """Delete the rows (and indexed name words) of persons the read models no longer know."""
    for pin in pins:
        stored = changes.stored.get(pin)
        if stored is None:  # never written (the batch registered and revoked their act)
            continue
        tx.defer("ll_person", "DELETE FROM ll_person WHERE pin = %s", (pin,))
        name_index.delete_words(tx, pin, stored[0])
        changes.cache.written(pin, None)


def _write_people(tx: Tx, rows: list[PersonRow], stored: dict[str, StoredRow]) -> None:
    """Insert the persons the table did not hold when the batch read them (`stored`; most, in
    a catch-up: a plain INSERT of many rows is copied straight into the table, see `Tx`),
    update the others. The batch holds its projection's position, so no one else writes them."""
    tx.insert_many("ll_person", COLUMNS, [row for row in rows if row[0] not in stored])
    tx.insert_many("ll_person", COLUMNS, [row for row in rows if row[0] in stored], REPLACE)


def _person_row(pin: str, sources: Sources, guard: SourcesGuard, position: int) -> PersonRow:
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
        guard.text(),
        position,
    )
