#!/usr/bin/env python3
"""Generate a large, realistic register export (the import format, JSON Lines).

    python bench/generate_export.py --entries 1000000 --out export.jsonl [--seed 0]
        [--province 034] [--invalid-fraction 0.01]

Stdlib only and deterministic for a seed. The mix is the Thái Bình digitization drive's:
about 62% births, 23% marriages and 15% deaths, over some 280 communes and their yearly
books. Every line obeys the rules of docs/domain.md, so a correct importer accepts all of them:

- the population is built family line by family line: a founder born 1930-1952, his
  marriage(s), their children (both parents by PIN), the sons' marriages and children, and
  so on until mid-2025; daughters wait in a pool from which men of later lines take wives;
  wives with no match come from outside the lines (their parents known by name only);
- each person's death date is drawn when they are born (or none when it falls after the
  end), and every act of theirs is placed before it: births before the mother's and the
  father's death, marriages before both deaths, men >= 20 and women >= 18 on the day;
- a marriage lasts until a spouse dies (the mix has no divorces); a widow(er) may remarry
  after that death (so half-siblings occur), never while married;
- spouses are never relatives: each person carries the set of family lines they descend
  from and two persons marry only when those sets are disjoint;
- PINs are `PPP C YY RRRRRR` with a serial counter per province, century/sex digit and year;
  (authority, book, number) is unique: a running number per commune and registration year,
  books of 400 numbers (`01/1987`, `02/1987`, ...).

Lines come out shuffled: the lines of each family line are shuffled and then pass through a
shuffling window, so the file is far from date order (the importer sorts by fact date).
Exactly `--entries` lines are written; the last family line is cut at a date, which keeps
every rule true. `--invalid-fraction F` replaces round(entries * F) lines by lines that must
be rejected (about equally: an 11-digit PIN, the unknown province code 003, a century digit
disagreeing with the sex, a missing `register.number`, a malformed JSON line); they name new
persons and new registration numbers only, so the valid lines stay valid. A summary with
the counts per kind and per invalid reason goes to stderr (`--summary FILE` writes it as JSON).

From Python: `generate(entries, seed)` yields the entries as dicts; `generate_lines(...)`
yields the JSON text lines (the only way to get malformed ones).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

PROVINCE_NAMES = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa–Vũng Tàu", "079": "TP Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
    "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
    "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

# Family names with rough weights (Nguyễn about a third).
FAMILY_NAMES = (
    ("Nguyễn", 31), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 5),
    ("Đặng", 3), ("Bùi", 4), ("Đỗ", 3), ("Ngô", 2), ("Dương", 2), ("Đinh", 2), ("Đào", 2),
    ("Phan", 2), ("Lương", 1), ("Mai", 1), ("Tạ", 1), ("Cao", 1), ("Trịnh", 1), ("Đoàn", 1),
    ("Lại", 1), ("Hà", 1), ("Tô", 1), ("Quách", 1),
)  # fmt: skip
MIDDLE = {
    "M": ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Đình", "Công",
          "Ngọc", "Trọng", "Mạnh", "Tiến", "Gia", "Hoàng"),
    "F": ("Thị", "Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương", "Hồng",
          "Thúy", "Mai", "Lan", "Hải", "Khánh", "Bảo"),
}  # fmt: skip
GIVEN = {
    "M": ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc",
          "Quân", "Sơn", "Tuấn", "Việt", "Đông", "Thắng", "Trung", "Hiếu", "Lâm", "Đức",
          "Thành", "Toàn", "Hưng", "Kiên", "Lộc", "Mạnh", "Nghĩa", "Phong", "Quang", "Tài",
          "Thịnh", "Tùng", "Vinh", "Huy", "Khánh", "Minh", "Duy", "Bảo", "Đăng"),
    "F": ("Anh", "Bích", "Chi", "Dung", "Hà", "Hương", "Lan", "Linh", "Mai", "Ngân", "Oanh",
          "Phương", "Quyên", "Thảo", "Trang", "Uyên", "Vân", "Yến", "Hằng", "Nhung", "Hoa",
          "Huyền", "Loan", "Nga", "Nhàn", "Thủy", "Thư", "Tuyết", "Xuân", "Hạnh", "Duyên",
          "Giang", "Hiền", "Hồng", "Lý", "My", "Ngọc", "Quỳnh", "Thu", "Vy"),
}  # fmt: skip
COMMUNE_FIRST = (
    "Đông", "Tây", "Nam", "Bắc", "Vũ", "Quỳnh", "Thụy", "Thái", "Hồng", "Minh", "An", "Bình",
    "Tân", "Hòa", "Phú", "Đình", "Kiến", "Quang", "Việt", "Song", "Nguyên", "Hưng", "Tiền",
    "Văn", "Trà", "Mỹ", "Hiệp", "Dũng", "Liên", "Duy",
)  # fmt: skip
COMMUNE_SECOND = (
    "Hòa", "Xuân", "La", "Mỹ", "Sơn", "Hải", "Lâm", "Hưng", "Thành", "An", "Bình", "Phong",
    "Lạc", "Phúc", "Hà", "Tân", "Thọ", "Trung", "Đức", "Vinh", "Quang", "Tiến", "Hợp",
    "Dương", "Lợi",
)  # fmt: skip
COMMUNES = 280
BOOK_SIZE = 400
OPERATORS = 40
DEATH_PLACES = ("tại nhà", "tại nhà", "tại nhà", "Trạm y tế xã", "Bệnh viện đa khoa tỉnh")
DEATH_CAUSES = ("già yếu", "già yếu", "bệnh", "bệnh", "đột quỵ", "bệnh tim", "ung thư",
                "tai nạn giao thông", "tai nạn lao động")  # fmt: skip
INVALID_REASONS = ("pin_length", "pin_province", "pin_sex", "missing_number", "malformed_json")

DAY_BASE = date(1860, 1, 1).toordinal()
END = date(2025, 6, 30).toordinal()  # facts up to here; registrations at most ~3 months later
NEVER = 10**9
YEAR = 365.2425
SHUFFLE_WINDOW = 65_536


def _ascii(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper().replace(" ", "")


class Person:
    __slots__ = (
        "born", "died", "family", "free", "full_name", "home", "json", "lines", "pin", "sex",
        "year",
    )  # fmt: skip

    def __init__(self, pin: str, family: str, full_name: str, sex: str, born: int) -> None:
        self.pin, self.family, self.full_name = pin, family, full_name
        self.sex, self.born = sex, born
        self.home = 0  # index of the home commune
        self.year = 0
        self.json = ""  # the person as acts other than the birth write them
        self.died = NEVER  # ordinal of the death, NEVER while alive at the end
        self.free = NEVER  # first day the person may marry (again); NEVER: not marrying
        self.lines: frozenset[int] = frozenset()  # family lines the person descends from


# An entry while its family line is built: (fact date, kind order, JSON text).
Entry = tuple[str, int, str]


class Population:
    """Family lines, one after the other, each a list of entries valid under every rule.

    Entries are written as JSON text straight away (every string comes from the fixed name
    lists above, none needs escaping): that is what makes a million lines take seconds."""

    def __init__(self, seed: int, province: str = "034") -> None:
        if province not in PROVINCE_NAMES:
            raise ValueError(f"unknown province code {province!r}")
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.province = province
        self.province_name = PROVINCE_NAMES[province]
        self.serials: dict[int, int] = {}  # (birth year, sex) -> last serial
        self.numbers: dict[int, int] = {}  # (commune, registration year) -> last number
        self.heads: dict[tuple[str, int], str] = {}
        self.pool: dict[int, list[Person]] = {}  # women waiting to marry, by birth year
        self.next_line = 0
        self.entries: list[Entry] = []
        days = [date.fromordinal(DAY_BASE + i) for i in range(200 * 366)]
        self.day = [d.isoformat() for d in days]
        self.year_of = [d.year for d in days]
        self.family_names = [n for n, w in FAMILY_NAMES for _ in range(w)]
        self.operators = [f"op-{i:02d}" for i in range(1, OPERATORS + 1)]
        self._communes(province)

    def pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.random() * len(items))]

    def between(self, low: int, high: int) -> int:
        """A whole number from low to high, both included."""
        return low + int(self.random() * (high - low + 1))

    # reference data

    def _communes(self, province: str) -> None:
        names = sorted({f"{a} {b}" for a in COMMUNE_FIRST for b in COMMUNE_SECOND if a != b})
        random.Random(f"communes-{province}").shuffle(names)
        # per commune: authority and its name (as JSON), hometown label, clinic
        self.communes: list[tuple[str, str, str]] = []
        seen = set()
        for i, name in enumerate(names):
            unit, prefix = ("phường", "PH") if i % 12 == 0 else ("xã", "XA")
            code = f"{province}-{prefix}-{_ascii(name)}"
            if code in seen:
                continue
            seen.add(code)
            label = f"{unit} {name}, {'' if province == '001' else 'tỉnh '}{self.province_name}"
            authority = f'"authority": "{code}", "authority_name": "UBND {unit} {name}"'
            self.communes.append((authority, label, f"Trạm y tế {unit} {name}"))
            if len(self.communes) == COMMUNES:
                break
        where = "" if province == "001" else "tỉnh "
        self.hospital = f"Bệnh viện đa khoa {where}{self.province_name}"

    # persons

    def new_pin(self, sex: str, year: int) -> str:
        key = year * 2 + (sex == "F")
        n = self.serials.get(key, 0) + 1
        self.serials[key] = n
        return f"{self.province}{(year // 100 - 19) * 2 + (sex == 'F')}{year % 100:02d}{n:06d}"

    def person(self, sex: str, born: int, family: str, home: int) -> Person:
        year = self.year_of[born - DAY_BASE]
        middle, given = self.pick(MIDDLE[sex]), self.pick(GIVEN[sex])
        pin = self.new_pin(sex, year)
        full_name = f"{family} {middle} {given}"
        person = Person(pin, family, full_name, sex, born)
        person.home, person.year = home, year
        person.json = (
            f'{{"pin": "{pin}", "full_name": "{full_name}", "family_name": "{family}", '
            f'"middle_name": "{middle}", "given_name": "{given}", "sex": "{sex}", '
            f'"birth_date": "{self.day[born - DAY_BASE]}"}}'
        )
        person.died = self.death_day(born, year)
        return person

    def death_day(self, born: int, year: int) -> int:
        """The day the person will die, drawn at birth; NEVER when after the end."""
        random = self.random
        child = 0.05 if year < 1955 else 0.025 if year < 1975 else 0.008 if year < 2000 else 0.004
        if random() < child:
            died = born + self.between(2, 5 * 365)
        else:
            mean = 70.0 + (year - 1930) * 0.12
            age = min(102.0, max(19.0, self.rng.gauss(mean, 12.0)))
            died = born + int(age * YEAR) + int(random() * 365)
        return died if died <= END else NEVER

    @staticmethod
    def add_years(day: int, years: int) -> int:
        d = date.fromordinal(day)
        try:
            return d.replace(year=d.year + years).toordinal()
        except ValueError:  # 29 February
            return date(d.year + years, 3, 1).toordinal()

    def by_name(self, family: str, sex: str, year: int) -> str:
        name = f"{family} {self.pick(MIDDLE[sex])} {self.pick(GIVEN[sex])}"
        return f'{{"full_name": "{name}", "birth_year": {year}}}'

    # entries

    def head(self, kind: str, commune: int, occurred: int, registered: int) -> str:
        """The start of an entry: kind, register, occurred_on, source, entered_by."""
        year = self.year_of[registered - DAY_BASE]
        key = commune * 1000 + year - 1800
        n = self.numbers.get(key, 0) + 1
        self.numbers[key] = n
        prefix = self.heads.get((kind, commune))
        if prefix is None:
            prefix = self.heads[kind, commune] = (
                f'{{"kind": "{kind}", "register": {{{self.communes[commune][0]}, '
                f'"province": "{self.province}", "book": "'
            )
        source = "LHT2014" if year >= 2016 else "ND158"
        return (
            f'{prefix}{(n - 1) // BOOK_SIZE + 1:02d}/{year}", "number": "{n}", '
            f'"page": {(n - 1) % BOOK_SIZE // 2 + 1}, '
            f'"registered_on": "{self.day[registered - DAY_BASE]}"}}, '
            f'"occurred_on": "{self.day[occurred - DAY_BASE]}", '
            f'"source": {{"system": "hotich158", "regime": "{source}"}}, '
            f'"entered_by": "{self.operators[int(self.random() * OPERATORS)]}"'
        )

    def birth(self, child: Person, mother: Person | None, father: Person | None) -> None:
        random = self.random
        delay = self.between(3, 90 if child.year < 1960 else 45)
        head = self.head("birth", child.home, child.born, child.born + delay)
        _, label, clinic = self.communes[child.home]
        if child.year < 1975 and random() < 0.6:
            place = "tại nhà"
        else:
            place = clinic if random() < 0.6 else self.hospital
        if mother is None or father is None:  # parents known by name only
            mother_year, father_year = self.between(18, 40), self.between(21, 45)
            mother_family = self.pick(self.family_names)
            mother_json = self.by_name(mother_family, "F", child.year - mother_year)
            father_json = self.by_name(child.family, "M", child.year - father_year)
        else:
            mother_json = (
                f'{{"pin": "{mother.pin}", "full_name": "{mother.full_name}", '
                f'"birth_year": {mother.year}}}'
            )
            father_json = (
                f'{{"pin": "{father.pin}", "full_name": "{father.full_name}", '
                f'"birth_year": {father.year}}}'
            )
        born = self.day[child.born - DAY_BASE]
        text = (
            f'{head}, "child": {child.json[:-1]}, "birth_place": "{place}", '
            f'"hometown": "{label}", "ethnicity": "Kinh", "nationality": "VN"}}, '
            f'"mother": {mother_json}, "father": {father_json}}}'
        )
        self.entries.append((born, 0, text))
        if child.died != NEVER:
            self.death(child)

    def death(self, person: Person) -> None:
        died = person.died
        head = self.head("death", person.home, died, died + self.between(1, 30))
        place = self.pick(DEATH_PLACES)
        if place == "Trạm y tế xã":
            place = self.communes[person.home][2]
        elif place.startswith("Bệnh viện"):
            place = self.hospital
        age = (died - person.born) / YEAR
        cause = "bệnh" if age < 5 else self.pick(DEATH_CAUSES[:2] if age > 80 else DEATH_CAUSES)
        day = self.day[died - DAY_BASE]
        text = (
            f'{head}, "deceased": {person.json}, '
            f'"death": {{"date": "{day}", "place": "{place}", "cause": "{cause}"}}}}'
        )
        self.entries.append((day, 2, text))

    def marriage(self, man: Person, woman: Person, on: int) -> None:
        commune = woman.home if self.random() < 0.6 else man.home
        head = self.head("marriage", commune, on, on)
        text = f'{head}, "spouses": [{man.json}, {woman.json}]}}'
        self.entries.append((self.day[on - DAY_BASE], 1, text))

    # family lines

    def outsider(self, sex: str, born: int, alive_after: int) -> Person:
        """A person from outside the lines (parents by name), alive after `alive_after`."""
        home = int(self.random() * len(self.communes))
        person = self.person(sex, born, self.pick(self.family_names), home)
        for _ in range(20):
            if person.died > alive_after:
                break
            person.died = self.death_day(born, person.year)
        else:
            person.died = NEVER
        self.next_line += 1
        person.lines = frozenset((self.next_line,))
        self.birth(person, None, None)
        return person

    def wife_for(self, man: Person, target: int, widower: bool) -> tuple[Person, int] | None:
        """A woman of the pool (not of his lines, free and alive) or an outsider, and the day."""
        earliest = max(target, man.free, self.add_years(man.born, 20))
        last = min(END, man.died - 1)
        if earliest > last:
            return None
        pool = self.pool
        for _ in range(8):
            year = man.year + self.between(-3, 15 if widower else 8)
            bucket = pool.get(year)
            if not bucket:
                continue
            i = int(self.random() * len(bucket))
            woman = bucket[i]
            day = max(earliest, woman.free)
            if day > min(last, woman.died - 1) or day - earliest > 4 * 365:
                continue
            if not man.lines.isdisjoint(woman.lines):
                continue
            bucket[i] = bucket[-1]
            bucket.pop()
            return woman, day
        age = self.between(18, 27) if not widower else self.between(22, 40)
        born = earliest - int(age * YEAR) - int(self.random() * 365)
        woman = self.outsider("F", born, earliest)
        day = max(earliest, self.add_years(woman.born, 18))
        if day > min(last, woman.died - 1):
            return None
        return woman, day

    def children(self, man: Person, woman: Person, married: int) -> list[Person]:
        year = self.year_of[married - DAY_BASE]
        if year < 1965:
            count = self.pick((0, 1, 2, 3, 3, 4, 4, 4, 5, 5, 6))
        elif year < 1990:
            count = self.pick((0, 1, 2, 2, 2, 3, 3, 3, 4))
        else:
            count = self.pick((0, 1, 1, 2, 2, 2, 2, 3))
        last = min(END, woman.died - 1, man.died - 1, self.add_years(woman.born, 45))
        lines = man.lines | woman.lines
        born = married + self.between(280, 900)
        kids = []
        for _ in range(count):
            if born > last:
                break
            child = self.person(self.pick("MF"), born, man.family, man.home)
            child.lines = lines
            self.birth(child, woman, man)
            kids.append(child)
            born += self.between(420, 1600)
        return kids

    def family_line(self) -> list[Entry]:
        """One family line: a founder and all his descendants through the sons."""
        self.entries = []
        founder_born = date(self.between(1930, 1952), 1, 1).toordinal() + self.between(0, 364)
        founder = self.outsider("M", founder_born, founder_born)
        founder.free = 0
        men = [(founder, self.add_years(founder.born, self.between(20, 30)))]
        while men:
            man, target = men.pop()
            widower = False
            while True:
                found = self.wife_for(man, target, widower)
                if found is None:
                    break
                woman, day = found
                self.marriage(man, woman, day)
                for child in self.children(man, woman, day):
                    self.grow_up(child, men)
                if woman.died < man.died:  # widower
                    man.free = woman.died + self.between(100, 1000)
                    if (woman.died - man.born) / YEAR < 60 and self.random() < 0.5:
                        target, widower = man.free, True
                        continue
                elif (  # a widow, young enough to marry again
                    man.died != NEVER
                    and (man.died - woman.born) / YEAR < 50
                    and self.random() < 0.4
                ):
                    woman.free = man.died + self.between(200, 1500)
                    self.pool.setdefault(woman.year, []).append(woman)
                break
        return self.entries

    def grow_up(self, child: Person, men: list[tuple[Person, int]]) -> None:
        """Sons marry within their line's turn; daughters wait in the pool for other lines."""
        if self.random() >= 0.92:
            return
        if child.sex == "M":
            target = self.add_years(child.born, self.between(21, 31)) + self.between(0, 364)
            if target < min(END, child.died):
                child.free = 0
                men.append((child, target))
        else:
            child.free = self.add_years(child.born, 18) + self.between(0, 3 * 365)
            if child.free < min(END, child.died):
                self.pool.setdefault(child.year, []).append(child)

    # invalid lines

    def invalid(self, reason: str) -> dict[str, Any] | str:
        """A line that must be rejected, naming a new person and a new registration only."""
        born = date(self.between(1950, 2020), 1, 1).toordinal() + self.between(0, 364)
        home = int(self.random() * len(self.communes))
        saved, self.entries = self.entries, []
        child = self.person(self.pick("MF"), born, self.pick(self.family_names), home)
        child.died = NEVER
        self.birth(child, None, None)
        text = self.entries[0][2]
        self.entries = saved
        if reason == "malformed_json":
            return text[: self.between(20, len(text) // 2)]
        entry: dict[str, Any] = json.loads(text)
        pin = child.pin
        if reason == "pin_length":
            entry["child"]["pin"] = pin[:11]
        elif reason == "pin_province":
            entry["child"]["pin"] = "003" + pin[3:]
        elif reason == "pin_sex":  # the digit of the other sex, same century
            entry["child"]["pin"] = f"{pin[:3]}{int(pin[3]) ^ 1}{pin[4:]}"
        else:  # missing_number
            del entry["register"]["number"]
        return entry


def _shuffled(items: Iterator[str], rng: random.Random, window: int) -> Iterator[str]:
    buffer: list[str] = []
    for item in items:
        if len(buffer) < window:
            buffer.append(item)
            continue
        i = int(rng.random() * window)
        buffer[i], item = item, buffer[i]
        yield item
    rng.shuffle(buffer)
    yield from buffer


def _valid(population: Population, count: int) -> Iterator[str]:
    """Exactly `count` valid lines, family line by family line, each line shuffled."""
    produced = 0
    while produced < count:
        entries = population.family_line()
        if produced + len(entries) > count:  # the last line stops at a date: still valid
            entries.sort()
            entries = entries[: count - produced]
        population.rng.shuffle(entries)
        produced += len(entries)
        for entry in entries:
            yield entry[2]


def _mixed(
    entries: int, seed: int, province: str, invalid_fraction: float, malformed: bool,
    stats: Counter[str] | None,
) -> Iterator[tuple[str, str | dict[str, Any]]]:  # fmt: skip
    """(kind or invalid reason, line text or invalid entry) for each of `entries` lines."""
    if entries < 0 or not 0.0 <= invalid_fraction <= 1.0:
        raise ValueError("entries must be >= 0 and invalid_fraction between 0 and 1")
    population = Population(seed, province)
    mixer = random.Random(f"mix-{seed}")
    invalid = round(entries * invalid_fraction)
    reasons = INVALID_REASONS if malformed else INVALID_REASONS[:-1]
    valid = _shuffled(_valid(population, entries - invalid), mixer, SHUFFLE_WINDOW)
    remaining_invalid, n = invalid, 0
    for slot in range(entries):
        if remaining_invalid and mixer.random() * (entries - slot) < remaining_invalid:
            reason = reasons[n % len(reasons)]
            n += 1
            remaining_invalid -= 1
            if stats is not None:
                stats[f"invalid:{reason}"] += 1
            yield reason, population.invalid(reason)
        else:
            text = next(valid)
            kind = text[10 : text.index('"', 10)]
            if stats is not None:
                stats[kind] += 1
            yield kind, text


def generate(
    entries: int,
    seed: int = 0,
    *,
    province: str = "034",
    invalid_fraction: float = 0.0,
    stats: Counter[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Exactly `entries` register entries as dicts, shuffled, all valid unless
    `invalid_fraction` > 0: then round(entries * fraction) of them must be rejected (a dict
    cannot be malformed JSON, so the four other kinds of invalid line are used). `stats`,
    when given, counts the entries by kind and by invalid reason (`invalid:<reason>`)."""
    loads = json.loads
    for _, item in _mixed(entries, seed, province, invalid_fraction, False, stats):
        yield loads(item) if isinstance(item, str) else item


def generate_lines(
    entries: int,
    seed: int = 0,
    *,
    province: str = "034",
    invalid_fraction: float = 0.0,
    stats: Counter[str] | None = None,
) -> Iterator[str]:
    """The same as JSON text lines (without the newline); malformed JSON is among the
    invalid lines."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for _, item in _mixed(entries, seed, province, invalid_fraction, True, stats):
        yield item if isinstance(item, str) else dumps(item)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, required=True, help="number of lines")
    parser.add_argument("--out", required=True, help="output .jsonl file ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--province", default="034", help="3-digit province code (034)")
    parser.add_argument(
        "--invalid-fraction", type=float, default=0.0, help="share of lines that must be rejected"
    )
    parser.add_argument("--summary", help="also write the counts as JSON to this file")
    args = parser.parse_args(argv)
    stats: Counter[str] = Counter()
    started = time.perf_counter()
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        lines = generate_lines(
            args.entries,
            args.seed,
            province=args.province,
            invalid_fraction=args.invalid_fraction,
            stats=stats,
        )
        write = out.write
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == 10_000:
                write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            write("\n".join(batch) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    elapsed = time.perf_counter() - started
    invalid = {k.split(":", 1)[1]: n for k, n in sorted(stats.items()) if k.startswith("invalid:")}
    kinds = {k: n for k, n in sorted(stats.items()) if ":" not in k}
    summary = {
        "lines": args.entries,
        "valid": sum(kinds.values()),
        "invalid": sum(invalid.values()),
        "kinds": kinds,
        "invalid_reasons": invalid,
        "seed": args.seed,
        "province": args.province,
        "seconds": round(elapsed, 2),
    }
    mix = ", ".join(f"{k} {n / max(1, summary['valid']):.1%}" for k, n in kinds.items())
    print(
        f"{args.entries:,} lines in {elapsed:.1f}s ({args.entries / max(elapsed, 1e-9):,.0f}/s); "
        f"valid {summary['valid']:,} ({mix}); invalid {summary['invalid']:,} {invalid or ''}",
        file=sys.stderr,
    )
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
