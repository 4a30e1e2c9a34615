"""Generated hostile import lines over HTTP: PINs in every digit class and with spaces around
them, control and invisible characters in text, huge and negative numbers, deep and wide
nesting, every field given a value of the wrong type, impossible and future dates, byte order
marks, unknown kinds, lists where objects belong, text at and past the bounds. Whatever the
file holds, the import never answers 500, its counts add up, a file that records nothing
changes nothing, and what it records is in canonical form."""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.api.conftest import Api
from tests.builders import (
    a_birth,
    a_correction,
    a_death,
    a_divorce,
    a_guardianship,
    a_marriage,
    a_parentage,
    a_pin,
)

from lifeledger.domain.canonical import MAX_DEPTH, MAX_LABEL, MAX_TEXT, MAX_VALUES
from lifeledger.domain.dates import today
from lifeledger.domain.text import refused_character

EXAMPLES = 40
"""Files per store: about ten seconds on a loaded two-core machine."""

NAME = "Nguyễn Thu Trang"
PIN = "034190000123"
OTHER_DIGITS = ["０", "٣", "३", "৩", "๓", "²", "³", "①", "⑶", "𝟑", "᠓", "߃"]
AROUND = [" ", "\t", "\n", "\u00a0", "\u3000", "\ufeff", "\u200b", "\u2028", "\x0c"]
INVISIBLE = ["\u202e", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\n", "\t", "\x1b"]


def with_digit(digit: str, at: int) -> str:
    return PIN[:at] + digit + PIN[at + 1 :]


def in_script(digit: str) -> str:
    """PIN written in the script of `digit` (a digit of category No: only where a 3 is)."""
    if unicodedata.category(digit) != "Nd":
        return PIN.replace("3", digit)
    zero = ord(digit) - unicodedata.digit(digit)
    return "".join(chr(zero + int(c)) for c in PIN)


def around(space: str, before: bool) -> str:
    return space + PIN if before else PIN + space


PINS = st.one_of(
    st.builds(with_digit, st.sampled_from(OTHER_DIGITS), st.integers(0, 11)),
    st.sampled_from(OTHER_DIGITS).map(in_script),
    st.builds(around, st.sampled_from(AROUND), st.booleans()),
    st.sampled_from(["", "03419000012", "0341900001234", "003190000123", "034-19-0000123"]),
    st.integers(-(2**40), 2**40),
)
DATES = st.sampled_from(
    [
        "9999-12-31",
        "9999-12-30",
        "0000-00-00",
        " ",
        "",
        "2020-02-30",
        "２０２０-01-01",
        "2020-01-01\n",
        " 2020-01-01",
        "1799-12-31",
        "2020",
        "2020-13",
        "20200101",
        "2000-01-01",
        str(today() + timedelta(days=2)),
        str(today()),
    ]
)


def with_char(char: str, at: int) -> str:
    return NAME[:at] + char + NAME[at:]


TEXTS = st.one_of(
    st.text(max_size=20),
    st.builds(with_char, st.sampled_from(INVISIBLE), st.integers(0, len(NAME))),
    st.sampled_from([" ", "\u00a0", unicodedata.normalize("NFD", NAME), f"  {NAME}  ", "\ud800"]),
    st.sampled_from([MAX_LABEL, MAX_LABEL + 1, MAX_TEXT, MAX_TEXT + 1]).map(lambda n: "ẫ" * n),
)
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 2**63, -(2**63), 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS, PINS, DATES)


def nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)


def keys(count: int) -> dict[str, int]:
    return {f"k{i}": i for i in range(count)}


VALUES = st.one_of(
    SCALARS,
    st.recursive(SCALARS, containers, max_leaves=8),
    st.integers(MAX_DEPTH - 2, MAX_DEPTH + 3).map(nested),
    st.sampled_from([MAX_VALUES - 50, MAX_VALUES + 1]).map(keys),
    st.just({"_type_": "uuid_hex", "_data_": "0" * 32}),
)


def a_couple_married() -> dict[str, Any]:
    return a_marriage(a_pin("M", 1980), a_pin("F", 1982), "2005-06-01")


def a_correction_of_a_birth() -> dict[str, Any]:
    pin = a_pin("F", 1990)
    change = {"field": "child.given_name", "before": "An", "after": "Ân"}
    return a_correction(a_birth(pin, "1990-01-01"), pin, [change])


ENTRIES: list[Callable[[], dict[str, Any]]] = [
    lambda: a_birth(a_pin("F", 1990), "1990-01-01", mother=a_pin("F", 1960)),
    a_couple_married,
    lambda: a_death(a_pin("M", 1950), "2010-10-10"),
    lambda: a_divorce(a_couple_married(), "2010-01-01"),
    lambda: a_parentage(a_pin("M", 1960), a_pin("F", 1990), "father", "2000-01-01"),
    lambda: a_guardianship(a_pin("F", 2010), a_pin("M", 1970), "2015-01-01"),
    a_correction_of_a_birth,
]
KINDS = st.sampled_from(["Birth", "birth ", "", "unknown", 5, None, ["birth"], {"kind": "birth"}])
RAW_LINES = st.sampled_from(
    ["null", "{not json", "[]", '"birth"', "1e999", "NaN", "{}", '{"kind": "birth"}', "[" * 3000]
)


def paths(node: Any, prefix: str = "") -> Iterator[str]:
    """The dotted path of every value in an entry."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict | list) and value:
            yield from paths(value, path + ".")


def set_path(entry: dict[str, Any], path: str, value: Any) -> None:
    node: Any = entry
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[int(part) if isinstance(node, list) else part]
    node[int(leaf) if isinstance(node, list) else leaf] = value


NAME_KEYS = ("full_name", "family_name", "middle_name", "given_name", "birth_place")
SPELLINGS = st.sampled_from([f"  {NAME}", unicodedata.normalize("NFD", NAME), "Thu\u00a0 Trang"])
SPOILS = st.sampled_from(["value"] * 6 + ["respell", "kind", "list", "respell"])
"""How a line is spoiled: mostly a value of any kind anywhere; or a name spelled otherwise
(which is accepted, in canonical form); or its kind; or a value put in a list."""


@st.composite
def hostile_lines(draw: st.DrawFn) -> str:
    """One line of an export: a valid entry of some kind, then spoiled up to three times."""
    if draw(st.sampled_from(["entry"] * 5 + ["raw"] + ["entry"] * 4)) == "raw":
        return str(draw(RAW_LINES))
    entry = draw(st.sampled_from(ENTRIES))()
    for _ in range(draw(st.integers(1, 3))):
        spoil = draw(SPOILS)
        if spoil == "kind":
            entry["kind"] = draw(KINDS)
        elif spoil == "list":
            path = draw(st.sampled_from([p for p in paths(entry) if "." not in p]))
            entry[path] = [entry[path]]  # a list where an object (or a value) belongs
        elif spoil == "respell":
            names = [p for p in paths(entry) if p.rpartition(".")[2] in NAME_KEYS]
            if names:  # none when an earlier spoil replaced the persons
                set_path(entry, draw(st.sampled_from(names)), draw(SPELLINGS))
        else:
            set_path(entry, draw(st.sampled_from(list(paths(entry)))), draw(VALUES))
    text = json.dumps(entry, ensure_ascii=draw(st.booleans()), allow_nan=True)
    return ("\ufeff" if draw(st.integers(0, 4)) == 4 else "") + text


def import_file(api: Api, lines: list[str]) -> Any:
    """The file staged by one national user; its entries approved by another (below)."""
    return api.everyone.post(
        "/v1/imports",
        params={"entered_by": "op-07"},
        content="".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass"),
        headers={"Content-Type": "application/x-ndjson"},
    )


CANONICAL_PIN = re.compile(r"[0-9]{12}")


def assert_canonical(value: Any, key: str = "") -> None:
    """Every PIN recorded is 12 ASCII digits; every text is NFC, without refused characters."""
    if isinstance(value, dict):
        for inner_key, item in value.items():
            assert_canonical(item, str(inner_key))
    elif isinstance(value, list):
        for item in value:
            assert_canonical(item, key)
    elif isinstance(value, str):
        if key in ("pin", "subject_pin"):
            assert CANONICAL_PIN.fullmatch(value), value
        assert refused_character(value) is None, value
        assert unicodedata.is_normalized("NFC", value), value


def recorded_since(api: Api, position: int) -> list[Any]:
    ledger = api.context.ledger
    notifications = ledger.recorder.select_notifications(start=position + 1, limit=10_000)
    return [vars(ledger.mapper.to_domain_event(n)) for n in notifications]


def test_hostile_import_lines_never_crash_and_rejected_lines_change_nothing(api: Api) -> None:
    @given(st.lists(hostile_lines(), min_size=1, max_size=6))
    @example(["1e999", "NaN", "[-Infinity]", '"\\ud800"', "\ufeff{}", "[" * 3000])
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(lines: list[str]) -> None:
        before = api.context.ledger.position()
        response = import_file(api, lines)
        assert response.status_code in (201, 422), response.text
        if response.status_code == 422:  # the file refused whole: an entry no store holds
            assert response.json()["code"] in ("unstorable-entry", "unreadable-export")
            assert api.context.ledger.position() == before
            return
        counts = response.json()["counts"]
        statuses = ("accepted", "staged", "duplicate", "rejected", "conflict")
        assert sum(counts[s] for s in statuses) == counts["lines"] == len(lines), counts
        if counts["staged"] == 0:
            assert api.context.ledger.position() == before
        approved = api.national_approver.post(f"/v1/imports/{response.json()['id']}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["counts"]["entries"] == counts["staged"]
        for event in recorded_since(api, before):
            assert_canonical(copy.deepcopy(event))

    run()
    api.settle()  # the read models took every recorded act
