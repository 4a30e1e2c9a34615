"""Finding persons: by name with or without diacritics, narrowed by birth date or year and
province; or by an act's registration reference ("authority/book/number").

Names are matched on their folded words (`name_index.fold`: "Đặng Thị Ánh" -> "dang thi anh");
each query word must begin a word of the name. Ranking: the whole name equal to the query
(score 3) > the query's words begin the name's words in the same order (2) > every query
word begins some word of the name (1); then by name, birth date and PIN, so pages are stable.

Every search reads a bounded number of rows, whatever the number of persons:
- through the word index (`ll_name_word`): the persons with the query's rarest word, when
  fewer than COMMON persons have it; the other words, the birth date and the province
  filter them; `total` is exact;
- else through the birth-date index, when a birth date or year is given (a day or a month
  is a few thousand persons even in a whole country's register); `total` is exact;
- else the query is too broad to rank in full (every word is common and no date narrows
  it): the answer ranks the names that equal or begin with the query as typed, and the
  matches among a first sample of SAMPLE persons with its rarest word, and says so with
  `exhaustive: false` (`total` counts what it found; a birth date or year narrows it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lifeledger.database import Row, Tx
from lifeledger.projections.name_index import fold, words

COMMON = 20_000
SAMPLE = 2_000
REFERENCE = re.compile(r"^\s*([^/\s]+)/(\S.*)/([^/\s]+)\s*$")
DAY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
COLUMNS = "p.pin, p.full_name, p.birth_date, p.sex, p.status, p.province, p.name_folded"


@dataclass(frozen=True)
class Criteria:
    words: list[str]
    birth_date: str | None = None
    birth_year: int | None = None
    province: str | None = None

    @property
    def dated(self) -> bool:
        return self.birth_date is not None or self.birth_year is not None


def criteria(
    q: str | None, birth_date: str | None, birth_year: int | None, province: str | None
) -> Criteria:
    if birth_date is not None and not DAY.match(birth_date):
        raise ValueError(f"birth_date {birth_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return Criteria(list(dict.fromkeys(words(fold(q or "")))), birth_date, birth_year, province)


def reference_in(q: str | None) -> tuple[str, str, str] | None:
    """`authority/book/number` (the book may hold slashes, e.g. 034-XA-DONGHOA/01/2009/125)."""
    found = REFERENCE.match(q or "")
    return (found.group(1), found.group(2), found.group(3)) if found else None


def by_reference(tx: Tx, authority: str, book: str, number: str) -> dict[str, Any]:
    """The persons of the act registered under this reference, if it is in force (a revoked
    act links no one: its registration read shows it, flagged)."""
    rows = tx.rows(
        f"SELECT {COLUMNS}, ap.role FROM ll_act a JOIN ll_act_person ap ON ap.act_id = a.act_id "
        "JOIN ll_person p ON p.pin = ap.pin WHERE a.authority = %s AND a.book = %s "
        "AND a.number = %s AND a.revoked = 0 ORDER BY ap.role, p.pin",
        (authority, book, number),
    )
    label = f"{authority}/{book}/{number}"
    items = [{**_item(row), "score": 3, "role": row["role"], "registration": label} for row in rows]
    return {"total": len(items), "items": items, "exhaustive": True}


def by_name(tx: Tx, wanted: Criteria, limit: int, offset: int) -> dict[str, Any]:
    """Ranked, paginated matches of the criteria (see the module docstring)."""
    if not wanted.words and not wanted.dated:
        return {"total": 0, "items": [], "exhaustive": True}
    sizes = {word: _frequency(tx, word) for word in wanted.words}
    anchor = min(wanted.words, key=lambda w: (sizes[w], -len(w), w)) if sizes else None
    if anchor is not None and sizes[anchor] < COMMON:
        pins = [r["pin"] for r in tx.rows(
            "SELECT DISTINCT pin FROM ll_name_word WHERE word >= %s AND word < %s",
            (anchor, _after(anchor)),
        )]  # fmt: skip
        source, params = tx.any_of("p.pin", pins)
    elif wanted.dated:
        source, params = born(str(wanted.birth_date or wanted.birth_year))
    else:
        assert anchor is not None
        return _broad(tx, wanted, anchor, limit, offset)
    where, where_params = _conditions(wanted)
    rows = tx.rows(
        f"SELECT {COLUMNS} FROM ll_person p WHERE {source}{where}", params + where_params
    )
    ranked = sorted((_scored(row, wanted.words) for row in rows), key=_rank)
    return {"total": len(ranked), "items": ranked[offset : offset + limit], "exhaustive": True}


def _frequency(tx: Tx, word: str) -> int:
    """How many indexed words begin with `word`, counted up to COMMON."""
    row = tx.row(
        "SELECT count(*) AS n FROM (SELECT 1 FROM ll_name_word "
        "WHERE word >= %s AND word < %s LIMIT %s) found",
        (word, _after(word), COMMON),
    )
    return int(row["n"]) if row else 0


def _broad(tx: Tx, wanted: Criteria, anchor: str, limit: int, offset: int) -> dict[str, Any]:
    """A query too broad to rank in full: the names equal to or beginning with the query as
    typed (the name index), then the matches among the first SAMPLE persons with `anchor`."""
    typed = " ".join(wanted.words)
    narrowed, narrowing = _conditions(Criteria([], province=wanted.province))
    rows = tx.rows(  # (a name beginning with the query has each query word begin its words)
        f"SELECT {COLUMNS} FROM ll_person p WHERE p.name_folded >= %s AND p.name_folded < %s"
        f"{narrowed} ORDER BY p.name_folded LIMIT %s",  # the index's order: it stops early
        [typed, _after(typed), *narrowing, SAMPLE],
    )
    where, params = _conditions(wanted)
    province, in_province = "", []
    if wanted.province:  # the PIN begins with its province: sample only there
        province, in_province = (
            " AND w.pin >= %s AND w.pin < %s",
            [
                wanted.province,
                _after(wanted.province),
            ],
        )
    rows += tx.rows(
        f"SELECT {COLUMNS} FROM ll_person p WHERE p.pin IN (SELECT w.pin FROM ll_name_word w "
        f"WHERE w.word >= %s AND w.word < %s{province} ORDER BY w.word, w.pin LIMIT %s){where}",
        [anchor, _after(anchor), *in_province, SAMPLE, *params],
    )
    found = {row["pin"]: row for row in rows}
    ranked = sorted((_scored(row, wanted.words) for row in found.values()), key=_rank)
    return {"total": len(ranked), "items": ranked[offset : offset + limit], "exhaustive": False}


def _after(prefix: str) -> str:
    """The first string after every string that begins with `prefix` ([a-z0-9 ]+)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _conditions(wanted: Criteria) -> tuple[str, list[Any]]:
    where, params = "", []
    for word in wanted.words:
        where += " AND (' ' || p.name_folded) LIKE %s"
        params.append(f"% {word}%")
    for day in [d for d in (wanted.birth_date, wanted.birth_year) if d is not None]:
        condition, values = born(str(day))
        where += f" AND {condition}"
        params += values
    if wanted.province:
        where += " AND p.province = %s"
        params.append(wanted.province)
    return where, params


def born(day: str) -> tuple[str, list[Any]]:
    """Born on `day` (YYYY, YYYY-MM or YYYY-MM-DD): a full date, or any date in a year or
    month; a person whose record gives only the year or the month that contains it matches
    too. Written as ranges on the birth-date index, right under any collation."""
    parts = day.split("-")
    coarser = ["-".join(parts[:n]) for n in range(1, len(parts))]
    if len(parts) == 3:
        match, params = "p.birth_date = %s", [day]
    else:
        match, params = "(p.birth_date >= %s AND p.birth_date < %s)", [day, _next(parts)]
    if coarser:
        holes = ",".join(["%s"] * len(coarser))
        match = f"({match} OR p.birth_date IN ({holes}))"
        params += coarser
    return match, params


def _next(parts: list[str]) -> str:
    """The first year or month after a year or month."""
    if len(parts) == 1:
        return str(int(parts[0]) + 1)
    year, month = int(parts[0]), int(parts[1])
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def _scored(row: Row, query: list[str]) -> dict[str, Any]:
    name = row["name_folded"] or ""
    score = 3 if name == " ".join(query) else 2 if _in_order(words(name), query) else 1
    return {**_item(row), "score": score}


def _in_order(name: list[str], query: list[str]) -> bool:
    """Each query word begins a word of the name, in the query's order."""
    at = 0
    for word in query:
        while at < len(name) and not name[at].startswith(word):
            at += 1
        if at == len(name):
            return False
        at += 1
    return True


def _item(row: Row) -> dict[str, Any]:
    return {k: row[k] for k in ("pin", "full_name", "birth_date", "sex", "status", "province")}


def _rank(item: dict[str, Any]) -> tuple[Any, ...]:
    return (-item["score"], fold(item["full_name"] or ""), item["birth_date"] or "", item["pin"])
