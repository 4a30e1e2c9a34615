"""The read models on both stores: a three-generation family gives the expected parents,
children, spouses, siblings, cousins and relationship names; reads as of a date; search;
the registration index and books; statistics; the entry queues; and the runner's promises
(a rebuild equals the incremental run, a killed runner resumes, parallel runners never apply
an event twice, a writer can wait for its write)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from bench.families import generate

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.database_url import DatabaseUrl
from lifeledger.domain.acts import Reference
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.registration import Registration
from lifeledger.importers.register import import_files
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections, documents, person_view, search
from lifeledger.settings import Settings
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_marriage,
    a_parentage,
    a_person,
    a_pin,
)
from tests.conftest import POSTGRES_SERVER

OFFICER = Recorder("officer-1", office="034-XA-DONGHOA")


@dataclass
class Family:
    """Three generations; each attribute is a PIN, `acts` the register entries by name."""

    projections: Projections
    acts: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    follow: bool = False  # catch the read models up after every act
    check_documents: bool = False  # then refresh the stored documents and compare them

    def __getattr__(self, name: str) -> str:
        pins = self.__dict__.get("pins", {})
        if name in pins:
            return str(pins[name])
        raise AttributeError(name)

    def born(self, key: str, sex: str, born: str, name: str, **parents: Any) -> None:
        province, mother_name = parents.pop("province", "034"), parents.pop("mother_name", None)
        pin = a_pin(sex, int(born[:4]), province=province)
        self.pins[key] = pin
        entry = a_birth(pin, born, sex, name, authority=f"{province}-XA-DONGHOA",
                        **{k: self.pins[v] for k, v in parents.items()})  # fmt: skip
        for role in ("mother", "father"):
            if entry[role] is not None:
                entry[role]["full_name"] = self.person(entry[role]["pin"])["full_name"]
        if mother_name:  # a mother known by name only
            entry["mother"] = {**a_person(None, mother_name, "F"), "birth_year": 1960}
        self.record(key, entry)

    def person(self, pin: str) -> dict[str, Any]:
        births = [a for a in self.acts.values() if a["kind"] == "birth"]
        return next(a["child"] for a in births if a["child"]["pin"] == pin)

    def record(self, key: str, entry: dict[str, Any]) -> None:
        self.acts[key] = entry
        self.projections.ledger.register(entry, OFFICER)
        if self.check_documents:
            self.assert_stored_documents_are_fresh(key)
        elif self.follow:
            self.projections.runner.catch_up()

    def assert_stored_documents_are_fresh(self, after: str) -> None:
        """Once settled, every person's stored document is served and equals a fresh build."""
        projections, pins = self.projections, set(self.pins.values())
        projections.runner.catch_up()
        assert all(documents.stored(projections.db, pin) is None for pin in pins)  # not yet
        projections.runner.settle()
        with projections.db.transaction() as tx:
            fresh = person_view.build(pins, person_view.load(tx, pins))
        stored = {pin: documents.stored(projections.db, pin) for pin in pins}
        position = projections.runner.position()
        assert {pin: (json.loads(doc[0]), doc[1]) for pin, doc in stored.items() if doc} == {
            pin: (fresh[pin], position) for pin in pins
        }, f"stale after {after}"


def build_family(
    projections: Projections, follow: bool = False, check_documents: bool = False
) -> Family:
    f = Family(projections, follow=follow, check_documents=check_documents)
    f.born("grandfather", "M", "1930-01-15", "Nguyễn Văn Tổ")
    f.born("grandmother", "F", "1932-03-03", "Trần Thị Tằng")
    f.born("maternal_grandfather", "M", "1931-02-02", "Lê Văn Ngoại")
    f.born("maternal_grandmother", "F", "1933-04-04", "Phạm Thị Nhàn")
    f.record("m_grandparents", a_marriage(f.grandfather, f.grandmother, "1951-05-01"))
    f.record("m_maternal", a_marriage(f.maternal_grandfather, f.maternal_grandmother, "1953-01-01"))
    f.born("father", "M", "1955-06-06", "Nguyễn Văn Bình", mother="grandmother",
           father="grandfather")  # fmt: skip
    f.born("aunt", "F", "1958-07-07", "Nguyễn Thị Cúc", mother="grandmother", father="grandfather")
    f.born("mother", "F", "1957-08-08", "Lê Thị Dung", mother="maternal_grandmother",
           father="maternal_grandfather")  # fmt: skip
    f.born("uncle_by_marriage", "M", "1956-09-09", "Hoàng Văn Em")
    f.record("m_parents", a_marriage(f.father, f.mother, "1978-03-01"))
    f.record("m_aunt", a_marriage(f.uncle_by_marriage, f.aunt, "1979-10-10"))
    f.born("an", "M", "1980-05-12", "Nguyễn Văn An", mother="mother", father="father")
    f.born(
        "cousin", "M", "1981-01-20", "Hoàng Văn Giang", mother="aunt", father="uncle_by_marriage"
    )
    f.born("sister", "F", "1982-02-14", "Nguyễn Thị Bé", mother="mother", father="father")
    f.record("divorce", a_divorce(f.acts["m_parents"], "1990-06-01"))
    f.born("stepmother", "F", "1962-12-12", "Đặng Thị Đào")
    f.record("m_father_again", a_marriage(f.father, f.stepmother, "1992-02-02"))
    f.born("half_brother", "M", "1993-03-03", "Nguyễn Văn Đức", mother="stepmother",
           father="father")  # fmt: skip
    f.born("wifes_father", "M", "1955-01-01", "Phạm Văn Hải", province="001")
    f.born("wife", "F", "1983-11-11", "Phạm Thị Hoa", father="wifes_father", province="001",
           mother_name="Vũ Thị Hằng")  # fmt: skip
    f.born("cousins_wife", "F", "1984-04-01", "Ngô Thị Mai")
    f.record("m_an", a_marriage(f.an, f.wife, "2005-05-05"))
    f.record("m_cousin", a_marriage(f.cousin, f.cousins_wife, "2006-06-06"))
    f.born("son", "M", "2006-07-07", "Nguyễn Văn Khôi", mother="wife", father="an")
    f.born("cousins_daughter", "F", "2008-08-08", "Hoàng Thị Lan", mother="cousins_wife",
           father="cousin")  # fmt: skip
    f.record("death", a_death(f.grandfather, "2010-10-10"))
    rename = [
        {"field": "child.given_name", "before": "Bé", "after": "Bích"},
        {"field": "child.full_name", "before": "Nguyễn Thị Bé", "after": "Nguyễn Thị Bích"},
    ]
    f.record("correction", a_correction(f.acts["sister"], f.sister, rename, on="2015-01-01"))
    projections.runner.catch_up()
    return f


@pytest.fixture
def projections(ledger: Ledger) -> Iterator[Projections]:
    found = Projections(ledger)
    yield found
    found.close()


@pytest.fixture
def family(projections: Projections) -> Family:
    return build_family(projections)


def test_an_act_stored_before_its_fields_were_checked_does_not_stop_the_read_models(
    ledger: Ledger,
) -> None:
    """Earlier versions stored numbers as name parts and pages or birth years of any size; the
    catch-up reads such an act as well as it can instead of stopping at it for ever."""
    pin = a_pin("F", 1990)
    act = parse_act(a_birth(pin, "1990-02-02"))
    act.content["register"]["page"] = 10**30
    act.content["child"]["given_name"] = 7
    act.content["mother"] = {"full_name": "Trần Thị Bích", "birth_year": 10**30}
    ledger.save(Registration.record(act, [pin], {"kind": "digitized"}, {"user": "old-import"}))
    projections = Projections(ledger)
    assert projections.runner.catch_up() == ledger.position()
    person = projections.person(pin).data
    assert person is not None and person["full_name"] == act.content["child"]["full_name"]
    mother = person["parents"]["mother"]
    assert mother["full_name"] == "Trần Thị Bích" and mother["birth_year"] is None
    projections.close()


def test_a_parent_known_by_name_only_has_a_null_pin(family: Family) -> None:
    wife = family.projections.person(family.wife).data
    assert wife["parents"]["mother"] == {"pin": None, "full_name": "Vũ Thị Hằng",
                                         "birth_year": 1960, "kind": "birth"}  # fmt: skip
    assert wife["parents"]["father"]["pin"] == family.wifes_father
    graph = family.projections.family(family.wife, depth=1).data
    named = [n for n in graph["nodes"] if n["pin"] is None]
    assert [(n["full_name"], n["sex"], n["birth_date"]) for n in named] == [
        ("Vũ Thị Hằng", "F", "1960")
    ]
    assert {"type": "parent", "parent": named[0]["id"], "child": family.wife, "kind": "birth",
            "role": "mother"} in graph["edges"]  # fmt: skip
    assert family.projections.family(family.wife, depth=1).data == graph  # a stable id


# The person document


def test_person_has_parents_children_spouses_and_siblings(family: Family) -> None:
    father = family.projections.person(family.father).data
    assert father["full_name"] == "Nguyễn Văn Bình"
    assert father["parents"]["father"]["pin"] == family.grandfather
    assert father["parents"]["mother"]["full_name"] == "Trần Thị Tằng"
    assert [c["pin"] for c in father["children"]] == [family.an, family.sister,
                                                       family.half_brother]  # fmt: skip
    assert [(s["pin"], s["from"], s["to"], s["end_reason"]) for s in father["spouses"]] == [
        (family.mother, "1978-03-01", "1990-06-01", "divorce"),
        (family.stepmother, "1992-02-02", None, None),
    ]
    assert father["marital_status"] == "married"
    assert [(s["pin"], s["kind"]) for s in father["siblings"]] == [(family.aunt, "full")]


def test_parents_birth_year_comes_from_their_birth_act(family: Family) -> None:
    """The son's birth act gives his parents' names only: their years are the ledger's."""
    parents = family.projections.person(family.father).data["parents"]
    assert (parents["father"]["birth_year"], parents["mother"]["birth_year"]) == (1930, 1932)
    then = family.projections.person(family.father, as_of="2000-01-01").data["parents"]
    assert then["father"]["birth_year"] == 1930


def test_a_spouse_is_given_with_the_marriages_registration_reference(family: Family) -> None:
    spouses = family.projections.person(family.father).data["spouses"]
    assert [s["registration"] for s in spouses] == [
        registration_of(family.acts["m_parents"]),
        registration_of(family.acts["m_father_again"]),
    ]
    relation = family.projections.relationship(family.an, family.wife).data
    assert relation["marriage"]["registration"] == registration_of(family.acts["m_an"])


def test_siblings_are_told_apart_full_or_half(family: Family) -> None:
    an = family.projections.person(family.an).data
    assert [(s["pin"], s["kind"]) for s in an["siblings"]] == [
        (family.sister, "full"),
        (family.half_brother, "half"),
    ]


def test_death_ends_the_marriage_and_widows_the_spouse(family: Family) -> None:
    grandmother = family.projections.person(family.grandmother).data
    assert grandmother["spouses"][0]["to"] == "2010-10-10"
    assert grandmother["spouses"][0]["end_reason"] == "death"
    assert grandmother["marital_status"] == "widowed"
    assert family.projections.person(family.grandfather).data["status"] == "dead"


def test_a_divorce_naming_only_the_marriage_is_in_both_life_chains(family: Family) -> None:
    for spouse in (family.father, family.mother):
        kinds = [act["kind"] for act in family.projections.timeline(spouse).data]
        assert "divorce" in kinds, spouse
        assert family.projections.person(spouse).data["spouses"][0]["end_reason"] == "divorce"


def test_stored_documents_follow_every_act_of_the_person_and_their_relatives(
    projections: Projections,
) -> None:
    family = build_family(projections, check_documents=True)
    second_marriage = Reference.at(family.acts["m_father_again"], "register")
    projections.ledger.revoke(
        second_marriage, "QĐ 9/2021", "2021-01-01", "UBND huyện Đông Hưng", "void", OFFICER
    )
    family.assert_stored_documents_are_fresh("the revocation")


def test_documents_pending_count_persons_once_however_many_batches_touched_them(
    family: Family,
) -> None:
    projections = family.projections
    projections.runner.settle()
    assert documents.status(projections.db)["pending"] == 0
    family.born("daughter", "F", "2010-10-10", "Nguyễn Thị Thu", mother="wife", father="an")
    projections.runner.catch_up()  # the parents are touched by their daughter's birth…
    projections.ledger.register(a_death(family.an, "2020-02-02"), OFFICER)
    projections.runner.catch_up()  # …and the father again by his death, in another batch
    assert documents.status(projections.db)["pending"] == 3
    projections.runner.settle()
    assert documents.status(projections.db) == {
        "position": projections.runner.position(),
        "pending": 0,
    }
    stored = documents.stored(projections.db, family.an)
    assert stored is not None
    assert json.loads(stored[0])["status"] == "dead"


def test_a_read_after_a_new_act_never_answers_from_an_older_stored_document(
    family: Family,
) -> None:
    projections = family.projections
    projections.runner.settle()
    assert documents.stored(projections.db, family.an) is not None
    projections.ledger.register(a_death(family.an, "2020-02-02"), OFFICER)
    projections.runner.catch_up()
    assert documents.stored(projections.db, family.an) is None  # stale: built before the death
    read = json.loads(projections.person_json(family.an).data)
    assert read["status"] == "dead"
    assert read == projections.person(family.an).data
    projections.runner.settle()
    stored = documents.stored(projections.db, family.an)
    assert stored is not None and stored[1] == projections.runner.position()


def test_a_divorce_naming_the_spouses_ends_their_latest_open_marriage(
    projections: Projections,
) -> None:
    """Married, divorced, married again: a divorce that names the spouses (not the marriage)
    ends the second marriage, in one batch or applied act by act."""
    husband, wife = a_pin("M", 1970), a_pin("F", 1972)
    entries = [a_birth(husband, "1970-01-01", "M"), a_birth(wife, "1972-01-01", "F")]
    first, second = a_marriage(husband, wife, "1995-05-01"), a_marriage(husband, wife, "2005-05-01")
    by_spouses = a_divorce(second, "2010-02-01")
    del by_spouses["marriage"]
    by_spouses["spouses"] = [husband, wife]
    for entry in [*entries, first, a_divorce(first, "2000-01-01"), second, by_spouses]:
        projections.ledger.register(entry, OFFICER)
    for batch in (10_000, 1):
        projections.runner.batch_size = batch
        projections.runner.rebuild()
        spouses = projections.person(husband).data["spouses"]
        assert [(s["from"], s["to"], s["end_reason"]) for s in spouses] == [
            ("1995-05-01", "2000-01-01", "divorce"),
            ("2005-05-01", "2010-02-01", "divorce"),
        ]


def test_an_unknown_pin_reads_as_none(projections: Projections) -> None:
    assert projections.person(a_pin("M", 1990)).data is None
    assert projections.family(a_pin("M", 1990)).data is None
    assert projections.relationship(a_pin("M", 1990), a_pin("F", 1991)).data is None


# As of a date


def test_as_of_before_and_after_the_divorce(family: Family) -> None:
    before = family.projections.person(family.father, as_of="1989-12-31").data
    assert before["marital_status"] == "married"
    assert [(s["pin"], s["to"]) for s in before["spouses"]] == [(family.mother, None)]
    between = family.projections.person(family.father, as_of="1991-01-01").data
    assert between["marital_status"] == "divorced"
    assert between["spouses"][0]["end_reason"] == "divorce"


def test_as_of_before_and_after_the_death(family: Family) -> None:
    alive = family.projections.person(family.grandfather, as_of="2010-10-09").data
    dead = family.projections.person(family.grandfather, as_of="2010-10-10").data
    assert (alive["status"], alive["death_date"]) == ("alive", None)
    assert (dead["status"], dead["death_date"]) == ("dead", "2010-10-10")
    widow = family.projections.person(family.grandmother, as_of="2009-01-01").data
    assert widow["marital_status"] == "married"


def test_as_of_before_and_after_the_correction(family: Family) -> None:
    before = family.projections.person(family.sister, as_of="2014-12-31").data
    after = family.projections.person(family.sister, as_of="2015-01-01").data
    assert (before["full_name"], before["given_name"]) == ("Nguyễn Thị Bé", "Bé")
    assert (after["full_name"], after["given_name"]) == ("Nguyễn Thị Bích", "Bích")
    assert family.projections.person(family.sister).data["full_name"] == "Nguyễn Thị Bích"
    brother = family.projections.person(family.an, as_of="2014-12-31").data
    assert brother["siblings"][0]["full_name"] == "Nguyễn Thị Bé"


def test_as_of_before_birth_knows_nobody(family: Family) -> None:
    assert family.projections.person(family.son, as_of="2006-07-06").data is None


# The family graph


def registration_of(entry: dict[str, Any]) -> dict[str, str]:
    """An act's registration reference as the reads write it."""
    return {k: entry["register"][k] for k in ("authority", "book", "number", "registered_on")}


def test_family_graph_holds_ancestors_descendants_siblings_and_spouses(family: Family) -> None:
    """Depth 2 from the father: his parents and their other child (his sister), his children
    and grandchild, and the spouses of all of them with each marriage's span."""
    graph = family.projections.family(family.father, depth=2).data
    ids = {n["id"] for n in graph["nodes"]}
    assert ids == {family.pins[key] for key in (
        "father", "grandfather", "grandmother", "aunt", "uncle_by_marriage", "mother",
        "stepmother", "an", "wife", "sister", "half_brother", "son")}  # fmt: skip
    assert graph["root"] == family.father
    parent_edges = {(e["parent"], e["child"], e["role"], e["kind"])
                    for e in graph["edges"] if e["type"] == "parent"}  # fmt: skip
    assert (family.grandfather, family.father, "father", "birth") in parent_edges
    assert (family.grandmother, family.aunt, "mother", "birth") in parent_edges
    assert (family.an, family.son, "father", "birth") in parent_edges
    assert (family.stepmother, family.half_brother, "mother", "birth") in parent_edges
    assert (family.wife, family.son, "mother", "birth") in parent_edges
    assert len(parent_edges) == 12
    couples = {(e["a"], e["b"]): (e["from"], e["to"], e["end_reason"], e["registration"])
               for e in graph["edges"] if e["type"] == "couple"}  # fmt: skip
    assert couples == {
        (family.grandfather, family.grandmother): (
            "1951-05-01", "2010-10-10", "death", registration_of(family.acts["m_grandparents"])),
        (family.father, family.mother): (
            "1978-03-01", "1990-06-01", "divorce", registration_of(family.acts["m_parents"])),
        (family.father, family.stepmother): (
            "1992-02-02", None, None, registration_of(family.acts["m_father_again"])),
        (family.uncle_by_marriage, family.aunt): (
            "1979-10-10", None, None, registration_of(family.acts["m_aunt"])),
        (family.an, family.wife): ("2005-05-05", None, None, registration_of(family.acts["m_an"])),
    }  # fmt: skip
    dead = next(n for n in graph["nodes"] if n["id"] == family.grandfather)
    assert (dead["status"], dead["death_date"], dead["sex"]) == ("dead", "2010-10-10", "M")


def test_family_graph_shows_the_siblings_of_each_generation(family: Family) -> None:
    graph = family.projections.family(family.son, depth=3).data
    ids = {n["id"] for n in graph["nodes"]}
    # the father's sister and half-brother, the grandfather's sister; not the cousins, who are
    # no one's sibling in the line
    assert {family.sister, family.half_brother, family.aunt} <= ids
    assert family.cousin not in ids and family.cousins_daughter not in ids


def test_family_depth_limits_the_generations(family: Family) -> None:
    graph = family.projections.family(family.son, depth=1).data
    assert {n["id"] for n in graph["nodes"]} == {family.son, family.an, family.wife}
    couples = [e for e in graph["edges"] if e["type"] == "couple"]
    assert [(c["a"], c["b"], c["from"]) for c in couples] == [(family.an, family.wife,
                                                                "2005-05-05")]  # fmt: skip
    ids = {n["id"] for n in family.projections.family(family.an, depth=1).data["nodes"]}
    keys = ("an", "father", "mother", "sister", "half_brother", "stepmother", "wife", "son")
    assert ids == {family.pins[key] for key in keys}


# How two persons are related: "b is a's <relation>"

RELATIONS = [
    ("an", "father", "father"),
    ("an", "mother", "mother"),
    ("an", "grandfather", "grandfather"),
    ("an", "maternal_grandmother", "grandmother"),
    ("son", "grandfather", "great-grandfather"),
    ("grandfather", "son", "great-grandson"),
    ("father", "son", "grandson"),
    ("maternal_grandmother", "sister", "granddaughter"),
    ("father", "an", "son"),
    ("mother", "sister", "daughter"),
    ("an", "sister", "sister"),
    ("sister", "an", "brother"),
    ("an", "half_brother", "half-brother"),
    ("half_brother", "sister", "half-sister"),
    ("an", "cousin", "first cousins"),
    ("son", "cousins_daughter", "second cousins"),
    ("an", "cousins_daughter", "first cousins once removed"),
    ("an", "aunt", "aunt"),
    ("cousin", "father", "uncle"),
    ("aunt", "an", "nephew"),
    ("aunt", "sister", "niece"),
    ("father", "cousins_daughter", "grandniece"),
    ("an", "wife", "wife"),
    ("wife", "an", "husband"),
    ("father", "mother", "former wife"),
    ("mother", "father", "former husband"),
    ("an", "wifes_father", "father-in-law"),
    ("wife", "mother", "mother-in-law"),
    ("wife", "father", "father-in-law"),
    ("wife", "sister", "sister-in-law"),
    ("sister", "wife", "sister-in-law"),
    ("wife", "half_brother", "brother-in-law"),
    ("father", "wife", "daughter-in-law"),
    ("wifes_father", "an", "son-in-law"),
    ("an", "stepmother", "stepmother"),
    ("stepmother", "an", "stepson"),
    ("an", "uncle_by_marriage", "aunt's husband"),
    ("an", "cousins_wife", "first cousin's wife"),
    ("maternal_grandmother", "uncle_by_marriage", "not related"),
]


@pytest.mark.parametrize(
    ("a", "b", "relation"), RELATIONS, ids=[f"{a}-{b}" for a, b, _ in RELATIONS]
)
def test_relationship_names(family: Family, a: str, b: str, relation: str) -> None:
    found = family.projections.relationship(family.pins[a], family.pins[b]).data
    assert found["relation"] == relation


def test_an_adoption_is_an_edge_of_its_kind_and_names_adoptive_relations(family: Family) -> None:
    family.record("adoption", a_parentage(family.aunt, family.son, "adoptive_mother", "2012-01-01"))
    family.projections.runner.catch_up()
    relation = family.projections.relationship(family.son, family.aunt).data
    assert (relation["relation"], relation["kind"]) == ("adoptive mother", "adoption")
    assert family.projections.relationship(family.aunt, family.son).data["relation"] == (
        "adoptive son"
    )
    edges = family.projections.family(family.son, depth=1).data["edges"]
    assert {"type": "parent", "parent": family.aunt, "child": family.son, "kind": "adoption",
            "role": "adoptive_mother"} in edges  # fmt: skip
    son = family.projections.person(family.son).data
    assert son["parents"]["mother"]["pin"] == family.wife  # the birth mother stays


def test_relationship_gives_the_path_and_the_common_ancestor(family: Family) -> None:
    found = family.projections.relationship(family.son, family.cousins_daughter).data
    assert found["kind"] == "blood"
    assert found["common_ancestor"] in (family.grandfather, family.grandmother)
    assert found["path"] == [family.son, family.an, family.father, found["common_ancestor"],
                             family.aunt, family.cousin, family.cousins_daughter]  # fmt: skip
    in_law = family.projections.relationship(family.an, family.wifes_father).data
    assert in_law["path"] == [family.an, family.wife, family.wifes_father]
    assert in_law["kind"] == "in-law"
    assert family.projections.relationship(family.an, family.an).data["relation"] == "self"


# Search


def names(read: Any) -> list[str]:
    return [item["full_name"] for item in read.data["items"]]


def test_search_with_and_without_diacritics(family: Family) -> None:
    for query in ("Nguyễn Văn An", "nguyen van an", "NGUYEN VAN AN"):
        found = family.projections.search(query)
        assert names(found)[0] == "Nguyễn Văn An"
        assert found.data["items"][0]["score"] == 3
        assert found.data["items"][0]["pin"] == family.an


def test_search_folds_d_with_stroke(family: Family) -> None:
    assert names(family.projections.search("dang thi dao")) == ["Đặng Thị Đào"]
    assert names(family.projections.search("Đào")) == ["Đặng Thị Đào"]
    assert "Nguyễn Văn Đức" in names(family.projections.search("duc"))


def test_search_ranks_exact_then_in_order_then_any_order(family: Family) -> None:
    found = family.projections.search("nguyen an").data["items"]
    assert (found[0]["full_name"], found[0]["score"]) == ("Nguyễn Văn An", 2)
    reversed_words = family.projections.search("an nguyen").data["items"]
    assert [(i["full_name"], i["score"]) for i in reversed_words] == [("Nguyễn Văn An", 1)]
    prefixes = family.projections.search("ng v").data
    assert {"Nguyễn Văn An", "Nguyễn Văn Bình", "Nguyễn Văn Đức"} <= set(names_of(prefixes))


def names_of(data: dict[str, Any]) -> list[str]:
    return [item["full_name"] for item in data["items"]]


def test_search_narrowed_by_birth_date_year_and_province(family: Family) -> None:
    assert names(family.projections.search("nguyen", birth_date="1980-05-12")) == ["Nguyễn Văn An"]
    assert names(family.projections.search("nguyen", birth_date="1982")) == ["Nguyễn Thị Bích"]
    assert names(family.projections.search("nguyen", birth_date="1955-06")) == ["Nguyễn Văn Bình"]
    assert names(family.projections.search("nguyen", birth_year=1993)) == ["Nguyễn Văn Đức"]
    assert names(family.projections.search("pham", province="001")) == [
        "Phạm Thị Hoa",
        "Phạm Văn Hải",
    ]
    assert names(family.projections.search(None, birth_date="1981-01-20")) == ["Hoàng Văn Giang"]


def test_search_is_paginated_with_a_stable_order(family: Family) -> None:
    everyone = family.projections.search("nguyen", limit=50).data
    assert everyone["total"] == len(everyone["items"]) == 7
    pages = [family.projections.search("nguyen", limit=3, offset=o).data for o in (0, 3, 6)]
    assert [p["total"] for p in pages] == [7, 7, 7]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [item for p in pages for item in p["items"]] == everyone["items"]


def test_search_stays_bounded_when_every_word_is_common(
    family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "COMMON", 2)  # every word of "nguyen van" is now common
    broad = family.projections.search("nguyen van").data
    assert broad["exhaustive"] is False
    assert names_of(broad) == ["Nguyễn Văn An", "Nguyễn Văn Bình", "Nguyễn Văn Đức",
                               "Nguyễn Văn Khôi", "Nguyễn Văn Tổ"]  # fmt: skip
    dated = family.projections.search("nguyen van", birth_year=1993).data
    assert (dated["exhaustive"], names_of(dated)) == (True, ["Nguyễn Văn Đức"])
    rare = family.projections.search("nguyen van an").data
    assert (rare["exhaustive"], names_of(rare)) == (True, ["Nguyễn Văn An"])


def test_search_finds_a_corrected_name_and_not_the_old_one(family: Family) -> None:
    assert names(family.projections.search("nguyen thi bich")) == ["Nguyễn Thị Bích"]
    assert family.projections.search("nguyen thi be").data["total"] == 0


def test_search_by_registration_reference(family: Family) -> None:
    ref = family.acts["an"]["register"]
    found = family.projections.search(f"{ref['authority']}/{ref['book']}/{ref['number']}").data
    roles = {(i["pin"], i["role"]) for i in found["items"]}
    assert roles == {(family.an, "child"), (family.mother, "mother"), (family.father, "father")}


# Registration index, books, statistics and entry queues


def test_registration_lookup_returns_the_act_its_persons_and_corrections(family: Family) -> None:
    ref = family.acts["sister"]["register"]
    act = family.projections.registration(ref["authority"], ref["book"], ref["number"]).data
    assert act["kind"] == "birth"
    assert act["reference"]["label"] == f"{ref['authority']}/{ref['book']}/{ref['number']}"
    assert act["content"]["child"]["full_name"] == "Nguyễn Thị Bích"
    assert act["original"]["child"]["full_name"] == "Nguyễn Thị Bé"
    assert act["recorded_by"]["user"] == "officer-1"
    assert {p["role"] for p in act["persons"]} == {"child", "mother", "father"}
    assert [c["field"] for c in act["corrections"]] == ["child.given_name", "child.full_name"]
    assert act["revoked"] is False
    assert family.projections.registration(ref["authority"], ref["book"], "999").data is None


def birth_in_book(number: str, book: str = "01/2001") -> dict[str, Any]:
    pin = a_pin("M", 2001)
    return a_birth(pin, "2001-01-01", "M", "Vũ Văn Số", authority="034-XA-DONGXUAN", book=book,
                   number=number)  # fmt: skip


def test_book_shows_numbers_present_missing_and_duplicated(projections: Projections) -> None:
    for number in ("1", "2", "4", "5", "7", "012", "12a"):
        projections.ledger.register(birth_in_book(number), OFFICER)
    staged = [parse_act(birth_in_book(n)) for n in ("3", "05")]
    assert [
        o.status for o in projections.ledger.stage_many(staged, Recorder("op-02", "operator"))
    ] == ["staged"] * 2
    projections.runner.catch_up()
    book = projections.book("034-XA-DONGXUAN", "01/2001").data
    assert book["acts"] == 7
    assert book["numbers_present"] == ["1", "2", "4", "5", "7", "012", "12a"]
    assert book["missing"] == [3, 6, 8, 9, 10, 11]
    assert book["duplicated"] == [5, 12]
    assert book["staged"] == [3]
    assert projections.book("034-XA-DONGXUAN", "99/1999").data is None


def test_statistics_count_acts_by_kind_province_day_and_source(family: Family) -> None:
    stats = family.projections.statistics().data
    acts = family.projections.db.row("SELECT count(*) AS n FROM ll_act")
    assert acts is not None
    assert stats["total"] == int(acts["n"]) == len(family.acts)
    assert stats["by_kind"] == {"birth": 18, "correction": 1, "death": 1, "divorce": 1,
                                "marriage": 7}  # fmt: skip
    assert stats["by_province"] == {"001": 2, "034": 26}
    assert stats["by_source"] == {"live": 28}
    assert stats["by_day"]["1990-06-01"] == 1
    narrowed = family.projections.statistics("001", since="1983-01-01", until="1983-12-31").data
    assert narrowed["rows"] == [{"kind": "birth", "province": "001", "registered_on": "1983-11-11",
                                 "source": "live", "acts": 1}]  # fmt: skip


def test_statistics_stop_counting_a_revoked_act(family: Family) -> None:
    from lifeledger.domain.acts import Reference

    ref = family.acts["cousins_daughter"]["register"]
    reference = Reference(ref["authority"], ref["book"], ref["number"])
    family.projections.ledger.revoke(reference, "QĐ 9/2020", "2020-02-02", "UBND", "sai",
                                     OFFICER)  # fmt: skip
    family.projections.runner.catch_up()
    assert family.projections.statistics().data["by_kind"]["birth"] == 17
    act = family.projections.registration(*reference.as_dict().values()).data
    assert act["revoked"] is True and act["revocation"]["decision"] == "QĐ 9/2020"


def test_entry_queues_in_ledger_order_and_paginated(projections: Projections) -> None:
    staged = [parse_act(birth_in_book(n, "02/2001")) for n in ("1", "2", "3")]
    outcomes = projections.ledger.stage_many(staged, Recorder("op-02", "operator"))
    projections.ledger.approve(outcomes[0].act_id, "approver-9")  # type: ignore[arg-type]
    projections.runner.catch_up()
    pending = projections.entries("pending").data
    assert [e["number"] for e in pending] == ["2", "3"]
    assert pending[0]["content"]["register"]["number"] == "2"
    page = projections.entries("pending", limit=1, after=pending[0]["position"]).data
    assert [e["number"] for e in page] == ["3"]
    approved = projections.entries("approved").data
    assert [(e["number"], e["decided_by"]) for e in approved] == [("1", "approver-9")]
    with pytest.raises(ValueError):
        projections.entries("lost")


# The runner's promises


def dump(projections: Projections) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, ordered, once settled (the stored documents
    refreshed too). `ll_person.position` is left out: it is the end of the batch that last
    wrote the row, so it depends on where batches ended."""
    projections.runner.settle()
    db = projections.db
    if db.postgres:
        query = "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    tables = sorted(r["name"] for r in db.rows(query) if r["name"].startswith("ll_"))
    found = {}
    for table in tables:
        rows = [dict(r) for r in db.rows(f"SELECT * FROM {table}")]
        if table == "ll_person":
            rows = [{k: v for k, v in r.items() if k != "position"} for r in rows]
        found[table] = sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows)
    return found


def test_rebuild_from_zero_gives_the_same_rows_as_the_incremental_run(ledger: Ledger) -> None:
    incremental = Projections(ledger, batch_size=3)
    family = build_family(incremental, follow=True)  # caught up after every act
    family.record("late_death", a_death(family.grandmother, "2020-01-01"))
    incremental.runner.catch_up()
    before = dump(incremental)
    assert {"ll_act", "ll_person", "ll_parent", "ll_couple", "ll_stat"} <= before.keys()
    assert before["ll_person"] and before["ll_name_word"]
    rebuilt = Projections(ledger, batch_size=5000)
    rebuilt.runner.rebuild()
    assert dump(rebuilt) == before
    incremental.close()
    rebuilt.close()


def test_a_person_whose_acts_are_all_revoked_is_gone_in_any_batching(ledger: Ledger) -> None:
    """Their birth revoked, the son (who married meanwhile) is known from his marriage; the
    daughter, whose birth was her only act, is no person any more: no row, no name words, no
    document, whether her birth and its revocation are applied together or apart."""
    incremental = Projections(ledger, batch_size=3)
    family = build_family(incremental, follow=True)
    for key in ("an", "cousins_daughter"):
        reference = Reference.at(family.acts[key], "register")
        ledger.revoke(reference, "QĐ 9/2021", "2021-01-01", "UBND", "trái luật", OFFICER)
        incremental.runner.catch_up()
    before = dump(incremental)
    rebuilt = Projections(ledger, batch_size=5000)
    rebuilt.runner.rebuild()
    assert dump(rebuilt) == before
    for projections in (incremental, rebuilt):
        assert projections.person(family.cousins_daughter).data is None
        assert projections.person(family.an).data["full_name"] == "Nguyễn Văn An"
        assert projections.person(family.an).data["parents"] == {"mother": None, "father": None}
    for table in ("ll_person", "ll_name_word", "ll_person_doc"):
        pins = {dict(row)["pin"] for row in before[table]}
        assert family.cousins_daughter not in pins and family.an in pins, table
    incremental.close()
    rebuilt.close()


def test_a_batch_prepared_before_another_runner_applied_part_of_it_applies_the_rest_once(
    ledger: Ledger,
) -> None:
    """A runner reads and prepares its next batch ahead; when another runner has meanwhile
    applied the first events of it, only the rest is applied, from what was prepared."""
    ahead = Projections(ledger, batch_size=5000)
    build_family(ahead)
    caught_up = dump(ahead)
    with ahead.db.transaction(lock=True) as tx:  # back to zero, as a rebuild starts
        for projection in ahead.runner.projections:
            ahead.runner._reset(tx, projection)
    batch = ahead.runner._read(1)  # what the reader thread hands over, prepared
    other = Projections(ledger, batch_size=10)
    other.runner.run_batch()
    other.runner.run_batch()  # 20 events in: births, marriages, a person's later acts…
    assert other.runner.positions()["registry"] == 20
    ahead.runner._apply(batch)
    assert ahead.runner.positions()["registry"] == ledger.position()
    assert dump(ahead) == caught_up
    ahead.close()
    other.close()


def test_runners_taking_turns_write_what_one_runner_alone_writes(ledger: Ledger) -> None:
    """Each runner remembers the person rows it read and wrote (`PersonRowCache`); when the
    other runner applied batches in between, it must not trust them."""
    first, second = Projections(ledger, batch_size=7), Projections(ledger, batch_size=7)
    family = build_family(first)
    family.record("late_death", a_death(family.grandmother, "2020-01-01"))
    family.born("daughter", "F", "2010-10-10", "Nguyễn Thị Thu", mother="wife", father="an")
    with first.db.transaction(lock=True) as tx:  # back to zero, as a rebuild starts
        for projection in first.runner.projections:
            first.runner._reset(tx, projection)
    turns = 0
    while (first if turns % 3 else second).runner.run_batch() or first.runner.run_batch():
        turns += 1
    assert turns > 6
    alone = Projections(ledger, batch_size=5000)
    alone.runner.rebuild()
    assert dump(first) == dump(alone)
    for each in (first, second, alone):
        each.close()


def generated_ledger(settings: Settings, tmp_path: Path, entries: int) -> Ledger:
    export = tmp_path / "generated.jsonl"
    export.write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in generate(entries, seed=3))
    )
    ledger = Ledger(settings.model_copy(update={"import_batch_size": 500}))
    summary = import_files(ledger, [export], approve_as="approver-1", entered_by="op-1")
    assert summary.counts["accepted"] > entries * 0.95
    return ledger


RUNNER = (
    "import sys; from lifeledger.ledger import Ledger; from lifeledger.settings import Settings;"
    "from lifeledger.projections import Projections;"
    "Projections(Ledger(Settings()), batch_size=int(sys.argv[1])).runner.catch_up()"
)


@pytest.mark.slow
def test_a_killed_runner_resumes_and_loses_or_doubles_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    ledger = generated_ledger(settings, tmp_path, 3000)
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": settings.database_url}
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, "40"], env=env)
    projections = Projections(ledger)
    deadline = time.monotonic() + 60
    while projections.runner.position() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    killed_at = projections.runner.position()
    assert 0 < killed_at < ledger.position(), "the runner was not killed while working"
    assert subprocess.run([sys.executable, "-c", RUNNER, "500"], env=env).returncode == 0
    resumed = dump(projections)
    stats = projections.statistics().data["total"]
    assert stats == act_count(projections)
    projections.runner.rebuild()
    assert dump(projections) == resumed
    projections.close()
    ledger.close()


@pytest.mark.slow
def test_parallel_runners_never_apply_an_event_twice(settings: Settings, tmp_path: Path) -> None:
    ledger = generated_ledger(settings, tmp_path, 1500)
    runners = [Projections(Ledger(settings), batch_size=100) for _ in range(3)]
    threads = [threading.Thread(target=r.runner.catch_up) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    projections = runners[0]
    assert projections.runner.positions() == {"registry": ledger.position(),
                                              "statistics": ledger.position()}  # fmt: skip
    acts = act_count(projections)
    assert projections.statistics().data["total"] == acts
    together = dump(projections)
    projections.runner.rebuild()
    assert dump(projections) == together
    for each in runners:
        each.close()
        each.ledger.close()
    ledger.close()


def test_wait_for_returns_once_a_write_is_applied(projections: Projections) -> None:
    follower = projections.follow(poll_seconds=0.05)
    pin = a_pin("F", 2000)
    outcome = projections.ledger.register(a_birth(pin, "2000-01-01"), OFFICER)
    assert outcome.position is not None
    assert projections.runner.wait_for(outcome.position, timeout=10)
    read = projections.person(pin)
    assert read.data["pin"] == pin and read.position >= outcome.position
    assert not projections.runner.wait_for(outcome.position + 1000, timeout=0.2)
    follower.stop()


def test_a_follower_whose_database_connections_are_cut_restarts_and_catches_up(
    postgres_url: str,
) -> None:
    """What a PostgreSQL restart does to a running projection: every connection dies. The
    supervisor restarts the runner (each pooled connection fails once, then is replaced) and
    the writes made after it are applied."""
    ledger = Ledger(Settings(database_url=postgres_url))
    projections = Projections(ledger)
    follower = projections.follow(poll_seconds=0.05)
    before = ledger.register(a_birth(a_pin("F", 2000), "2000-01-01"), OFFICER)
    assert before.position and projections.runner.wait_for(before.position, timeout=10)
    name = DatabaseUrl.parse(postgres_url).dbname
    with psycopg.connect(DatabaseUrl.parse(POSTGRES_SERVER).conninfo(), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    pin = a_pin("M", 2001)
    after = ledger.register(a_birth(pin, "2001-01-01"), OFFICER)
    assert after.position and projections.runner.wait_for(after.position, timeout=30)
    assert follower.failures >= 1 and projections.person(pin).data["pin"] == pin
    follower.stop()
    projections.close()
    ledger.close()


# The demo data set, and the command line


def test_demo_family_documents_agree_with_relationship_names(ledger: Ledger) -> None:
    from lifeledger.demo import DEMO_PIN, load_demo

    summary = load_demo(ledger)
    assert summary is not None and summary.counts["accepted"] == summary.lines
    projections = Projections(ledger)
    projections.runner.catch_up()
    person = projections.person(DEMO_PIN).data
    assert person["parents"]["mother"]["pin"] and person["parents"]["father"]["pin"]
    assert [s["kind"] for s in person["siblings"]] == ["full"]
    assert any(s["pin"].startswith("001") for s in person["spouses"])
    assert len(person["children"]) == 2
    pins = [r["pin"] for r in projections.db.rows("SELECT pin FROM ll_person ORDER BY pin")]
    for pin in pins:
        for name, expected in expected_relations(projections.person(pin).data):
            found = projections.relationship(pin, name).data["relation"]
            assert found in expected, (pin, name, found)
    projections.close()


def expected_relations(person: dict[str, Any]) -> Iterator[tuple[str, set[str]]]:
    """What each relative listed in a person's document must be called."""
    for role, parent in person["parents"].items():
        if parent and parent["pin"] and parent["kind"] != "adoption":
            yield parent["pin"], {role}
    for child in person["children"]:
        if child["kind"] != "adoption":
            yield child["pin"], {"son", "daughter"}
    for sibling in person["siblings"]:
        prefix = "half-" if sibling["kind"] == "half" else ""
        yield sibling["pin"], {prefix + "brother", prefix + "sister"}
    for spouse in person["spouses"]:
        yield spouse["pin"], {"husband", "wife", "former husband", "former wife"}


def lifeledger(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "lifeledger.cli", "projections", *args],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip


def test_cli_status_rebuild_and_run(settings: Settings, ledger: Ledger) -> None:
    for number in ("1", "2"):
        ledger.register(birth_in_book(number), OFFICER)
    status = json.loads(lifeledger(settings.database_url, "status", "--json").stdout)
    assert status == {"ledger": ledger.position(), "projections": {
        "registry": {"position": 0, "lag": ledger.position()},
        "statistics": {"position": 0, "lag": ledger.position()}},
        "documents": {"position": 0, "pending": 0}}  # fmt: skip
    rebuilt = lifeledger(settings.database_url, "rebuild", "registry")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt registry" in rebuilt.stdout
    status = json.loads(lifeledger(settings.database_url, "status", "--json").stdout)
    assert status["documents"] == {"position": ledger.position(), "pending": 0}
    assert lifeledger(settings.database_url, "rebuild", "nothing").returncode == 2
    env = {**os.environ, "LIFELEDGER_DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "lifeledger.cli", "projections", "run", "--poll", "0.05"]
    running = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    outcome = ledger.register(birth_in_book("3"), OFFICER)
    projections = Projections(ledger)
    assert projections.runner.wait_for(outcome.position or 0, timeout=60)
    running.send_signal(signal.SIGINT)
    assert running.wait(timeout=30) == 0
    assert "stopped at position" in (running.stderr.read() if running.stderr else "")
    status = json.loads(lifeledger(settings.database_url, "status", "--json").stdout)
    assert {p["lag"] for p in status["projections"].values()} == {0}
    projections.close()


def act_count(projections: Projections) -> int:
    row = projections.db.row("SELECT count(*) AS n FROM ll_act")
    assert row is not None
    return int(row["n"])
