"""Generated families for the projection benchmark: founders, their marriages, children and
grandchildren, with some deaths, divorces and corrections, every act valid under the rules.

Used when `bench/generate_export.py` is not there; `generate(entries, seed)` yields register
export entries (the import format), at most `entries` of them.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lifeledger.domain.acts import Reference
from lifeledger.domain.registration import EVENT_OF_KIND, Registration, parties_of

RECORDED_BY = {"user": "bench-approver", "role": "approver", "entered_by": "bench-op"}
PROVINCES = ("034", "001", "079", "036", "038")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương")
MIDDLE = {"M": ("Văn", "Đức", "Minh", "Quang", "Hữu"), "F": ("Thị", "Ngọc", "Thu", "Thanh")}
GIVEN = {
    "M": (
        "An",
        "Bình",
        "Cường",
        "Dũng",
        "Đạt",
        "Hải",
        "Hùng",
        "Khoa",
        "Long",
        "Nam",
        "Phúc",
        "Quân",
        "Sơn",
        "Tuấn",
        "Việt",
        "Đông",
        "Thắng",
        "Trung",
        "Hiếu",
        "Lâm",
    ),
    "F": (
        "Anh",
        "Bích",
        "Chi",
        "Dung",
        "Hà",
        "Hương",
        "Lan",
        "Linh",
        "Mai",
        "Ngân",
        "Oanh",
        "Phương",
        "Quyên",
        "Thảo",
        "Trang",
        "Uyên",
        "Vân",
        "Yến",
        "Hằng",
        "Nhung",
    ),
}
LAST_YEAR = 2024


@dataclass
class Person:
    pin: str
    name: str
    sex: str
    born: str
    province: str
    family: str
    married: bool = False


class Families:
    """A population that grows generation by generation, writing each act as it happens."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serials: Counter[str] = Counter()
        self.numbers: Counter[str] = Counter()

    def pin(self, province: str, sex: str, year: int) -> str:
        century = (year // 100 - 19) * 2 + (0 if sex == "M" else 1)
        prefix = f"{province}{century}{year % 100:02d}"
        self.serials[prefix] += 1
        return f"{prefix}{self.serials[prefix]:06d}"

    def register(self, province: str, on: str) -> dict[str, Any]:
        authority = f"{province}-XA-{self.rng.randint(1, 40):02d}"
        book = f"01/{on[:4]}"
        self.numbers[authority + book] += 1
        return {
            "authority": authority,
            "province": province,
            "book": book,
            "number": str(self.numbers[authority + book]),
            "registered_on": on,
        }

    def date(self, year: int) -> str:
        return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"

    def person(self, year: int, family: str | None = None, province: str | None = None) -> Person:
        sex = self.rng.choice("MF")
        province = province or self.rng.choice(PROVINCES)
        family = family or self.rng.choice(FAMILY)
        name = f"{family} {self.rng.choice(MIDDLE[sex])} {self.rng.choice(GIVEN[sex])}"
        return Person(self.pin(province, sex, year), name, sex, self.date(year), province, family)

    def birth(self, child: Person, mother: Person | None, father: Person | None) -> dict[str, Any]:
        def parent(p: Person | None, sex: str) -> dict[str, Any]:
            if p is None:
                name = f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE[sex])} "
                return {"full_name": name + self.rng.choice(GIVEN[sex])}
            return {"pin": p.pin, "full_name": p.name, "sex": p.sex}

        family, middle, given = child.name.split(" ")
        return {
            "kind": "birth",
            "register": self.register(child.province, child.born),
            "occurred_on": child.born,
            "source": {"system": "bench"},
            "entered_by": "bench-op",
            "child": {
                "pin": child.pin,
                "full_name": child.name,
                "family_name": family,
                "middle_name": middle,
                "given_name": given,
                "sex": child.sex,
                "birth_date": child.born,
                "ethnicity": "Kinh",
                "nationality": "VN",
            },
            "mother": parent(mother, "F"),
            "father": parent(father, "M"),
        }

    def marriage(self, man: Person, woman: Person, on: str) -> dict[str, Any]:
        spouses = [
            {"pin": p.pin, "full_name": p.name, "sex": p.sex, "birth_date": p.born}
            for p in (man, woman)
        ]
        return {
            "kind": "marriage",
            "register": self.register(man.province, on),
            "occurred_on": on,
            "entered_by": "bench-op",
            "spouses": spouses,
        }

    def divorce(self, marriage: dict[str, Any], on: str) -> dict[str, Any]:
        ref = marriage["register"]
        return {
            "kind": "divorce",
            "register": self.register(ref["province"], on),
            "entered_by": "bench-op",
            "marriage": {k: ref[k] for k in ("authority", "book", "number")},
            "court": {"decision": "1/HNGĐ", "name": "TAND", "effective_on": on},
        }

    def death(self, person: Person, on: str) -> dict[str, Any]:
        return {
            "kind": "death",
            "register": self.register(person.province, on),
            "entered_by": "bench-op",
            "deceased": {"pin": person.pin, "full_name": person.name},
            "death": {"date": on, "place": "nhà riêng", "cause": "tuổi già"},
        }

    def correction(self, birth: dict[str, Any], child: Person) -> dict[str, Any]:
        on = f"{max(int(child.born[:4]) + 1, 2016)}-03-01"
        ref = birth["register"]
        given = birth["child"]["given_name"]
        return {
            "kind": "correction",
            "register": self.register(child.province, on),
            "entered_by": "bench-op",
            "target": {k: ref[k] for k in ("authority", "book", "number")},
            "subject_pin": child.pin,
            "correction_kind": "correct",
            "changes": [{"field": "child.given_name", "before": given, "after": given + "h"}],
            "reason": "sai chính tả",
            "basis": "QĐ 1/UBND",
        }

    def generation(self, people: list[Person]) -> Iterator[tuple[dict[str, Any], Person | None]]:
        """Marry the people of one generation (never two of one family) and give them children."""
        men = [p for p in people if p.sex == "M" and int(p.born[:4]) + 22 <= LAST_YEAR]
        women = [p for p in people if p.sex == "F" and int(p.born[:4]) + 20 <= LAST_YEAR]
        self.rng.shuffle(women)
        for man, woman in zip(men, women, strict=False):
            if man.family == woman.family:
                continue
            year = max(int(man.born[:4]) + 22, int(woman.born[:4]) + 20) + self.rng.randint(0, 5)
            if year > LAST_YEAR - 1:
                continue
            marriage = self.marriage(man, woman, self.date(year))
            yield marriage, None
            last_child = min(int(woman.born[:4]) + 42, LAST_YEAR)
            for n in range(self.rng.choice((1, 2, 2, 3))):
                born = year + 1 + 2 * n
                if born > last_child:
                    break
                child = self.person(born, man.family, man.province)
                yield self.birth(child, woman, man), child
            if self.rng.random() < 0.08 and year + 12 < LAST_YEAR:
                yield self.divorce(marriage, self.date(year + 12)), None


def generate(entries: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """Up to `entries` register entries: generations of families, with deaths and corrections."""
    return itertools.islice(_population(seed, entries), entries)


def _population(seed: int, entries: int) -> Iterator[dict[str, Any]]:
    families, count = Families(seed), 0
    while count < entries:
        people = [families.person(families.rng.randint(1935, 1960)) for _ in range(500)]
        for person in people:
            yield families.birth(person, None, None)
            count += 1
        while people and count < entries:
            children: list[Person] = []
            for entry, child in families.generation(people):
                yield entry
                count += 1
                if child is not None:
                    children.append(child)
                    if families.rng.random() < 0.03:
                        yield families.correction(entry, child)
                        count += 1
            for person in people:
                died = int(person.born[:4]) + families.rng.randint(65, 95)
                if died < LAST_YEAR and families.rng.random() < 0.5:
                    yield families.death(person, families.date(died))
                    count += 1
            people = children


def registered_events(persons: int, seed: int = 11) -> Iterator[Registration.Registered]:
    """The acts of `generate` as the ledger records them (corrections left out), until
    `persons` births: for filling a read model without the event store and the rules (the
    generated entries are valid, so they are not parsed and checked again either)."""
    births = 0
    spouses: dict[tuple[str, str, str], list[str]] = {}
    for entry in _population(seed, sys.maxsize):
        kind, ref = entry["kind"], entry["register"]
        if kind == "correction":
            continue
        reference = Reference(ref["authority"], ref["book"], ref["number"])
        if kind == "divorce":
            married = entry["marriage"]
            on = entry["court"]["effective_on"]
            pins = spouses[(married["authority"], married["book"], married["number"])]
        elif kind == "death":
            on, pins = entry["death"]["date"], [entry["deceased"]["pin"]]
        else:
            on = entry["occurred_on"]
            people = entry.get("spouses") or [entry.get(k) for k in ("child", "mother", "father")]
            pins = [p["pin"] for p in people if p and p.get("pin")]
        if kind == "marriage":
            spouses[(ref["authority"], ref["book"], ref["number"])] = pins
        yield _registered(kind, reference, on, pins, entry)
        births += kind == "birth"
        if births >= persons:
            return


def _registered(
    kind: str, reference: Reference, on: str, pins: list[str], entry: dict[str, Any]
) -> Registration.Registered:
    registration = Registration._create(
        EVENT_OF_KIND[kind],
        id=reference.act_id,
        kind=kind,
        reference={**entry["register"], **reference.as_dict()},
        occurred_on=on,
        pins=pins,
        parties=parties_of(kind, pins, entry),
        content=entry,
        source={**entry.get("source", {}), "kind": "digitized"},
        recorded_by=RECORDED_BY,
        content_hash="",
    )
    (event,) = registration.collect_events()
    assert isinstance(event, Registration.Registered)
    return event
