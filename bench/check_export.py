#!/usr/bin/env python3
"""Independent checker for a register export (JSON Lines, `.jsonl` or `.jsonl.gz`).

    python bench/check_export.py FILE.jsonl [--max-registered 2026-11-01] [--examples 20]

Stdlib only, and deliberately sharing no code with `lifeledger`: it re-states the rules of
docs/domain.md so that a generated file (or the demo) can be checked against them without the
importer. It reads every line and reports, per rule, how many lines break it:

- shape: JSON object, known kind, required register fields, parseable dates, registration
  not before the fact (nor after `--max-registered`);
- PIN: 12 digits, known province code, century/sex digit and year digits agree with the
  person's sex and birth year; a subject of an act has a PIN;
- uniqueness: one act per (authority, book, number), one birth and one death per PIN;
- birth: parent sex fits the role, parent born before the child, mother alive at the birth,
  father dead at most 300 days before;
- marriage: a man and a woman, man >= 20 and woman >= 18 full years, neither dead, no
  overlapping marriages (a marriage lasts until its divorce's effective date or a spouse's
  death), not relatives (direct line, a common parent or grandparent);
- divorce: the marriage exists, is not already divorced, effective after it and before a
  death ended it;
- death: not before the birth, no act of the person dated after it (a father's child may
  be born up to 300 days later);
- parentage / adoption: parent older, sex fits the role, role not already taken by another;
- correction: the target act exists, the subject is one of its persons, no PIN changed and
  every "before" equals the value current at that point (corrections applied in fact order).

All checks compare the dates of the facts, so the order of the lines does not matter. Partial
dates (YYYY, YYYY-MM) are read as intervals and only certain violations are counted.
Exit status 0 when no violation is found, 1 otherwise.
"""

from __future__ import annotations

import argparse
import calendar
import gzip
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

# The 63 province codes in force before the 2025 merger (PINs keep them).
# fmt: off
PROVINCE_CODES = (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25,
    26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42, 44, 45, 46, 48,
    49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75,
    77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
)
KINDS = frozenset((
    "birth", "marriage", "divorce", "death", "parentage", "adoption",
    "guardianship_opened", "guardianship_ended", "correction",
))
# fmt: on
PROVINCES = frozenset(f"{code:03d}" for code in PROVINCE_CODES)
BLOOD_ROLES = ("mother", "father")
MARRIAGE_AGE = {"M": 20, "F": 18}
POSTHUMOUS_DAYS = 300
FAR_FUTURE = date(9999, 12, 31)

Span = tuple[date, date]  # earliest, latest day a partial date may stand for


class Violations:
    def __init__(self, examples: int) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: list[str] = []
        self.limit = examples

    def add(self, rule: str, line: int, message: str) -> None:
        self.counts[rule] += 1
        if len(self.examples) < self.limit:
            self.examples.append(f"line {line}: [{rule}] {message}")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def parse_date(value: Any) -> Span | None:
    """A partial date as the interval of days it stands for; None when it is not a date."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 1 and len(text) == 4:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
        if len(parts) == 2 and len(text) == 7:
            last = calendar.monthrange(parts[0], parts[1])[1]
            return date(parts[0], parts[1], 1), date(parts[0], parts[1], last)
        if len(parts) == 3 and len(text) == 10:
            day = date(parts[0], parts[1], parts[2])
            return day, day
    except ValueError:
        return None
    return None


def full_years(born: date, on: date) -> int:
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def pin_problem(pin: Any, sex: str | None, year: int | None) -> str | None:
    """What is wrong with a PIN, or None."""
    text = str(pin) if pin is not None else ""
    if len(text) != 12 or not text.isdigit():
        return f"{text!r} is not 12 digits"
    if text[:3] not in PROVINCES:
        return f"{text} has unknown province code {text[:3]}"
    digit = int(text[3])
    if sex is not None and sex != ("M" if digit % 2 == 0 else "F"):
        return f"{text}: century/sex digit {digit} disagrees with sex {sex}"
    if year is not None and 1900 + 100 * (digit // 2) + int(text[4:6]) != year:
        return f"{text}: year digits disagree with birth year {year}"
    return None


def pin_span(pin: str) -> Span:
    year = 1900 + 100 * (int(pin[3]) // 2) + int(pin[4:6])
    return date(year, 1, 1), date(year, 12, 31)


def read_lines(path: str) -> Iterator[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        yield from stream


class Checker:
    def __init__(self, path: str, max_registered: date, examples: int) -> None:
        self.path = path
        self.max_registered = max_registered
        self.v = Violations(examples)
        self.lines = 0
        self.kinds: Counter[str] = Counter()
        self.refs: dict[tuple[str, str, str], tuple[int, bytes]] = {}  # line, content hash
        self.born: dict[str, Span] = {}  # from birth lines
        self.stated_born: dict[str, Span] = {}  # from other acts
        self.sex: dict[str, str] = {}
        self.birth_line: dict[str, int] = {}
        self.died: dict[str, tuple[Span, int]] = {}
        self.parents: dict[str, dict[str, str]] = defaultdict(dict)
        self.adoptive: dict[str, dict[str, str]] = defaultdict(dict)
        # pin -> [(span, kind, role, line)]: every dated act of a person
        self.facts: dict[str, list[tuple[Span, str, str, int]]] = defaultdict(list)
        self.births: list[tuple[int, str, Span, list[tuple[str, str]]]] = []
        self.marriages: list[tuple[int, tuple[str, str, str], list[str], Span]] = []
        self.divorces: list[tuple[int, dict[str, Any], Span]] = []
        self.parentages: list[tuple[int, str, str, str, Span]] = []
        self.corrections: list[tuple[Span, date, tuple[str, str, str], int, dict[str, Any]]] = []
        self.guardianships: list[tuple[int, str, str, Span]] = []

    # reading

    def read(self, number: int, text: str) -> None:
        self.lines += 1
        if not text.strip():
            self.v.add("shape", number, "empty line")
            return
        try:
            entry = json.loads(text)
        except ValueError:
            self.v.add("json", number, "not JSON")
            return
        if not isinstance(entry, dict):
            self.v.add("shape", number, "not a JSON object")
            return
        kind = entry.get("kind")
        if kind not in KINDS:
            self.v.add("shape", number, f"unknown kind {kind!r}")
            return
        register = entry.get("register")
        if not isinstance(register, dict):
            self.v.add("shape", number, "register missing")
            return
        missing = [k for k in ("authority", "book", "number") if register.get(k) in (None, "")]
        if missing:
            self.v.add("shape", number, f"register.{missing[0]} missing")
            return
        registered = parse_date(register.get("registered_on"))
        if registered is None or registered[0] != registered[1]:
            self.v.add("shape", number, "register.registered_on is not a full date")
            return
        province = register.get("province")
        if province is not None and str(province) not in PROVINCES:
            self.v.add("pin", number, f"register.province {province!r} is not a known code")
        ref = (str(register["authority"]), str(register["book"]), str(register["number"]))
        content = hashlib.sha1(
            json.dumps(
                {k: v for k, v in entry.items() if k not in ("entered_by", "extra")},
                sort_keys=True,
            ).encode()
        ).digest()
        if ref in self.refs:
            first, first_content = self.refs[ref]
            what = "duplicate" if first_content == content else "conflict"
            self.v.add("reference", number, f"{'/'.join(ref)} already on line {first} ({what})")
            return
        self.refs[ref] = (number, content)
        self.kinds[kind] += 1
        fact = self.fact_date(kind, entry)
        if fact is None:
            self.v.add("shape", number, "the fact's date is missing or not a date")
            return
        if fact[0] > registered[0]:
            self.v.add("dates", number, f"fact {fact[0]} after its registration {registered[0]}")
        if registered[0] > self.max_registered:
            self.v.add("dates", number, f"registered {registered[0]} after {self.max_registered}")
        getattr(self, f"read_{kind}", self.read_guardianship)(number, entry, fact, registered[0])

    @staticmethod
    def fact_date(kind: str, entry: dict[str, Any]) -> Span | None:
        if kind == "birth":
            child = entry.get("child") or {}
            return parse_date(child.get("birth_date") or entry.get("occurred_on"))
        if kind == "divorce":
            return parse_date((entry.get("court") or {}).get("effective_on"))
        if kind == "death":
            return parse_date((entry.get("death") or {}).get("date"))
        if kind == "marriage":
            return parse_date(entry.get("occurred_on"))
        registered = (entry.get("register") or {}).get("registered_on")
        return parse_date(entry.get("occurred_on") or registered)

    def person(self, number: int, node: Any, path: str, pin_required: bool) -> str | None:
        """Check a person object; returns its PIN when it has a valid one."""
        if not isinstance(node, dict) or not node.get("full_name"):
            self.v.add("shape", number, f"{path}: person without full_name")
            return None
        pin = node.get("pin")
        if pin in (None, ""):
            if pin_required:
                self.v.add("pin", number, f"{path}: subject without a PIN")
            return None
        sex = node.get("sex")
        born = parse_date(node.get("birth_date"))
        year = born[0].year if born else node.get("birth_year")
        problem = pin_problem(pin, sex, int(year) if year is not None else None)
        if problem:
            self.v.add("pin", number, f"{path}.pin {problem}")
            return None
        pin = str(pin)
        if sex:
            self.sex.setdefault(pin, sex)
        if born and pin not in self.stated_born:
            self.stated_born[pin] = born
        return pin

    def read_birth(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        child = self.person(number, entry.get("child"), "child", pin_required=True)
        if child is None:
            return
        if (entry.get("child") or {}).get("sex") not in ("M", "F"):
            self.v.add("shape", number, "child.sex missing")
        if pin_problem(child, None, fact[0].year):
            self.v.add("pin", number, f"child.pin {child} disagrees with birth year {fact[0]}")
        if child in self.birth_line:
            self.v.add("birth", number, f"{child} already born on line {self.birth_line[child]}")
            return
        self.birth_line[child] = number
        self.born[child] = fact
        self.facts[child].append((fact, "birth", "child", number))
        parents = []
        for role in BLOOD_ROLES:
            node = entry.get(role)
            if node is None:
                continue
            pin = self.person(number, node, role, pin_required=False)
            if pin is not None:
                parents.append((role, pin))
                self.parents[child][role] = pin
                self.facts[pin].append((fact, "birth", role, number))
        self.births.append((number, child, fact, parents))

    def read_marriage(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        spouses = entry.get("spouses")
        if not isinstance(spouses, list) or len(spouses) != 2:
            self.v.add("shape", number, "a marriage names exactly two spouses")
            return
        pins = [self.person(number, s, f"spouses.{i}", True) for i, s in enumerate(spouses)]
        if None in pins:
            return
        if pins[0] == pins[1]:
            self.v.add("marriage", number, "both spouses have the same PIN")
            return
        ref = tuple(str(entry["register"][k]) for k in ("authority", "book", "number"))
        self.marriages.append((number, ref, pins, fact))  # type: ignore[arg-type]
        for pin in pins:
            self.facts[pin].append((fact, "marriage", "spouse", number))  # type: ignore[index]

    def read_divorce(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        if not (entry.get("court") or {}).get("decision"):
            self.v.add("shape", number, "court.decision missing")
        self.divorces.append((number, entry, fact))

    def read_death(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        pin = self.person(number, entry.get("deceased"), "deceased", pin_required=True)
        if pin is None:
            return
        if pin in self.died:
            self.v.add("death", number, f"{pin} already died (line {self.died[pin][1]})")
            return
        self.died[pin] = (fact, number)

    def read_parentage(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        role = entry.get("role")
        if role not in ("mother", "father", "adoptive_mother", "adoptive_father"):
            self.v.add("shape", number, f"role {role!r}")
            return
        parent = self.person(number, entry.get("parent"), "parent", pin_required=True)
        child = self.person(number, entry.get("child"), "child", pin_required=True)
        if parent is None or child is None:
            return
        self.parentages.append((number, role, parent, child, fact))
        self.facts[parent].append((fact, entry["kind"], role, number))

    read_adoption = read_parentage

    def read_guardianship(self, number: int, entry: dict[str, Any], fact: Span, _: date) -> None:
        ward = self.person(number, entry.get("ward"), "ward", pin_required=True)
        guardian = self.person(number, entry.get("guardian"), "guardian", pin_required=True)
        if ward is None or guardian is None:
            return
        self.guardianships.append((number, ward, guardian, fact))
        if entry["kind"] == "guardianship_opened":
            self.facts[guardian].append((fact, entry["kind"], "guardian", number))

    def read_correction(self, number: int, entry: dict[str, Any], fact: Span, reg: date) -> None:
        target = entry.get("target") or {}
        ref = tuple(str(target.get(k)) for k in ("authority", "book", "number"))
        if pin_problem(entry.get("subject_pin"), None, None):
            self.v.add("pin", number, f"subject_pin {entry.get('subject_pin')!r}")
        if not entry.get("basis"):
            self.v.add("shape", number, "basis missing")
        self.corrections.append((fact, reg, ref, number, entry))  # type: ignore[arg-type]

    # rules over the whole file

    def born_of(self, pin: str) -> Span:
        return self.born.get(pin) or self.stated_born.get(pin) or pin_span(pin)

    def death_of(self, pin: str) -> Span | None:
        died = self.died.get(pin)
        return died[0] if died else None

    def check(self) -> None:
        # adoptive and recognized parents join the parent maps before kinship is looked at
        for number, role, parent, child, _fact in self.parentages:
            blood = role in BLOOD_ROLES
            links = self.parents[child] if blood else self.adoptive[child]
            if blood and links.get(role) not in (None, parent):
                self.v.add("parentage", number, f"{role} of {child} is already {links[role]}")
                continue
            links[role] = parent
            sex = "F" if role.endswith("mother") else "M"
            if self.sex.get(parent, "M" if int(parent[3]) % 2 == 0 else "F") != sex:
                self.v.add("parentage", number, f"{role} {parent} has the wrong sex")
            if not self.born_of(parent)[0] < self.born_of(child)[1]:
                self.v.add("parentage", number, f"{role} {parent} is not older than {child}")
        self.check_births()
        self.check_marriages()
        self.check_deaths()
        self.check_corrections()

    def check_births(self) -> None:
        for number, child, born, parents in self.births:
            for role, pin in parents:
                if int(pin[3]) % 2 != (0 if role == "father" else 1):
                    self.v.add("birth", number, f"{role} {pin} has the wrong sex for the role")
                if not self.born_of(pin)[0] < born[1]:
                    self.v.add("birth", number, f"{role} {pin} is not older than {child}")
                died = self.death_of(pin)
                slack = timedelta(days=POSTHUMOUS_DAYS if role == "father" else 0)
                if died is not None and born[0] > died[1] + slack:
                    self.v.add("birth", number, f"{role} {pin} died {died[1]}, before {born[0]}")

    def marriage_spans(self) -> dict[tuple[str, str, str], list[Any]]:
        """Every marriage with its end: the divorce's effective date or a spouse's death."""
        spans: dict[tuple[str, str, str], list[Any]] = {}
        by_pair: dict[frozenset[str], list[tuple[str, str, str]]] = defaultdict(list)
        for number, ref, pins, start in self.marriages:
            spans[ref] = [number, pins, start, None]  # None: not divorced
            by_pair[frozenset(pins)].append(ref)
        for number, entry, effective in self.divorces:
            marriage = entry.get("marriage")
            if isinstance(marriage, dict):
                ref = (
                    str(marriage.get("authority")),
                    str(marriage.get("book")),
                    str(marriage.get("number")),
                )
            else:
                named = [
                    s.get("pin") if isinstance(s, dict) else s for s in entry.get("spouses") or []
                ]
                candidates = by_pair.get(frozenset(str(p) for p in named), [])
                open_ones = [r for r in candidates if spans[r][3] is None]
                ref = (open_ones or candidates or [("?", "?", "?")])[-1]
            if ref not in spans:
                self.v.add("divorce", number, f"no marriage {'/'.join(ref)}")
                continue
            span = spans[ref]
            if span[3] is not None:
                self.v.add("divorce", number, f"marriage {'/'.join(ref)} already divorced")
                continue
            if effective[1] < span[2][0]:
                self.v.add("divorce", number, f"effective {effective[0]} before the marriage")
            ended = [d[0] for d in (self.death_of(p) for p in span[1]) if d is not None]
            if ended and effective[0] > min(ended):
                self.v.add("divorce", number, f"the marriage had ended by a death {min(ended)}")
            span[3] = effective
            for pin in span[1]:
                self.facts[pin].append((effective, "divorce", "spouse", number))
        return spans

    def check_marriages(self) -> None:
        spans = self.marriage_spans()
        of_person: dict[str, list[tuple[date, date, int, str]]] = defaultdict(list)
        for number, pins, start, divorced in spans.values():
            sexes = [self.sex.get(p, "M" if int(p[3]) % 2 == 0 else "F") for p in pins]
            if sexes[0] == sexes[1]:
                self.v.add("marriage", number, f"{pins[0]} and {pins[1]} have the same sex")
            for pin, sex in zip(pins, sexes, strict=True):
                born = self.born_of(pin)
                if full_years(born[0], start[1]) < MARRIAGE_AGE[sex]:
                    self.v.add(
                        "marriage", number, f"{pin} (born {born[0]}) under age on {start[0]}"
                    )
                died = self.death_of(pin)
                if died is not None and died[1] < start[0]:
                    self.v.add("marriage", number, f"{pin} died {died[1]}, before {start[0]}")
            ends = [d[0] for d in (self.death_of(p) for p in pins) if d is not None]
            if divorced is not None:
                ends.append(divorced[0])
            end = min(ends) if ends else FAR_FUTURE
            for pin, other in zip(pins, reversed(pins), strict=True):
                of_person[pin].append((start[0], end, number, other))
            relation = self.kinship(pins[0], pins[1])
            if relation:
                self.v.add("kinship", number, f"{pins[0]} and {pins[1]}: {relation}")
        for pin, marriages in of_person.items():
            marriages.sort()
            latest_end, latest_line = date.min, 0
            for start, end, number, _ in marriages:
                if start < latest_end:
                    self.v.add(
                        "bigamy", number, f"{pin} still married (line {latest_line}) on {start}"
                    )
                if end > latest_end:
                    latest_end, latest_line = end, number

    def ancestors(self, pin: str, depth: int = 16) -> dict[str, int]:
        found: dict[str, int] = {}
        frontier = [pin]
        for generation in range(1, depth + 1):
            nxt = []
            for person in frontier:
                for parent in self.parents.get(person, {}).values():
                    if parent not in found:
                        found[parent] = generation
                        nxt.append(parent)
            if not nxt:
                break
            frontier = nxt
        return found

    def kinship(self, a: str, b: str) -> str | None:
        up_a, up_b = self.ancestors(a), self.ancestors(b)
        if b in up_a or a in up_b:
            return "direct line"
        if b in self.adoptive.get(a, {}).values() or a in self.adoptive.get(b, {}).values():
            return "adoptive parent and child"
        near_a = {p for p, g in up_a.items() if g <= 2}
        near_b = {p for p, g in up_b.items() if g <= 2}
        common = near_a & near_b
        return f"common parent or grandparent {sorted(common)[0]}" if common else None

    def check_deaths(self) -> None:
        for pin, (died, number) in self.died.items():
            born = self.born_of(pin)
            if died[1] < born[0]:
                self.v.add("death", number, f"{pin} dies {died[0]}, before birth {born[0]}")
            for fact, kind, role, line in self.facts.get(pin, ()):
                slack = timedelta(
                    days=POSTHUMOUS_DAYS if (kind, role) == ("birth", "father") else 0
                )
                if fact[0] > died[1] + slack:
                    self.v.add(
                        "death",
                        number,
                        f"{pin} dies {died[0]} before their {kind} ({role}) on "
                        f"{fact[0]}, line {line}",
                    )
        for number, _ward, guardian, on in self.guardianships:
            guardian_died = self.death_of(guardian)
            if guardian_died is not None and guardian_died[1] < on[0]:
                self.v.add("guardianship", number, f"guardian {guardian} died before {on[0]}")

    def targets(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The acts the corrections name, read again from the file (not kept in memory)."""
        wanted = {
            ref: self.refs[ref][0] for _, _, ref, _, _ in self.corrections if ref in self.refs
        }
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        lines = set(wanted.values())
        for number, text in enumerate(read_lines(self.path), start=1):
            if number not in lines:
                continue
            entry = json.loads(text)
            register = entry["register"]
            ref = (str(register["authority"]), str(register["book"]), str(register["number"]))
            if wanted.get(ref) == number:
                found[ref] = entry
        return found

    def check_corrections(self) -> None:
        current: dict[tuple[str, str, str], dict[str, Any]] = {}
        acts = self.targets() if self.corrections else {}
        for fact, _, ref, number, entry in sorted(self.corrections, key=lambda c: c[:3]):
            target = acts.get(ref)
            if target is None:
                self.v.add("correction", number, f"no act {'/'.join(ref)}")
                continue
            target_fact = self.fact_date(target["kind"], target)
            if target_fact is not None and fact[1] < target_fact[0]:
                self.v.add("correction", number, "dated before the act it corrects")
            pins = _pins_of(target)
            if str(entry.get("subject_pin")) not in pins:
                self.v.add("correction", number, f"{entry.get('subject_pin')} not in the act")
            values = current.setdefault(ref, {})
            changes = entry.get("changes")
            if not isinstance(changes, list) or not changes:
                self.v.add("correction", number, "no changes")
                continue
            for change in changes:
                path = str(change.get("field", ""))
                if path == "pin" or path.endswith(".pin"):
                    self.v.add("correction", number, f"changes a PIN ({path})")
                    continue
                value = values[path] if path in values else _get(target, path)
                if change.get("before") != value:
                    self.v.add(
                        "correction",
                        number,
                        f"{path}: before {change.get('before')!r} but the act says {value!r}",
                    )
                values[path] = change.get("after")

    def report(self) -> str:
        persons = len(self.born)
        lines = [
            f"lines: {self.lines}",
            "kinds: "
            + ", ".join(
                f"{k} {n} ({n / max(1, sum(self.kinds.values())):.1%})"
                for k, n in self.kinds.most_common()
            ),
            f"persons with a birth: {persons}; deaths: {len(self.died)}; "
            f"marriages: {len(self.marriages)}; divorces: {len(self.divorces)}",
            f"violations: {self.v.total}",
        ]
        lines += [f"  {rule}: {n}" for rule, n in self.v.counts.most_common()]
        lines += [f"  {example}" for example in self.v.examples]
        return "\n".join(lines)


def _get(content: Any, path: str) -> Any:
    node = content
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _pins_of(entry: dict[str, Any]) -> set[str]:
    found = set()
    for path in ("child", "mother", "father", "deceased", "parent", "ward", "guardian"):
        node = entry.get(path)
        if isinstance(node, dict) and node.get("pin"):
            found.add(str(node["pin"]))
    for spouse in entry.get("spouses") or []:
        if isinstance(spouse, dict) and spouse.get("pin"):
            found.add(str(spouse["pin"]))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a register export (.jsonl or .jsonl.gz)")
    parser.add_argument("--max-registered", default="2026-11-01", help="latest registration day")
    parser.add_argument("--examples", type=int, default=20, help="violations to show")
    parser.add_argument(
        "--expect-violations",
        type=int,
        default=0,
        help="exit 0 when exactly this many lines break a rule (files with invalid lines)",
    )
    args = parser.parse_args(argv)
    checker = Checker(args.path, date.fromisoformat(args.max_registered), args.examples)
    for number, text in enumerate(read_lines(args.path), start=1):
        checker.read(number, text)
    checker.check()
    print(checker.report())
    return 0 if checker.v.total == args.expect_violations else 1


if __name__ == "__main__":
    sys.exit(main())
