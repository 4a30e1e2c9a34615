"""Registry lookups: an act by its registration reference, what a digitization team checks in a
registration book, the statistics, and the staged-entry queues."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from lifeledger.database import Row, Tx
from lifeledger.domain.vocabulary import EntryStatus
from lifeledger.jsoncodec import loads

ENTRY_STATUSES: tuple[str, ...] = tuple(
    status.value
    for status in (
        EntryStatus.PENDING,
        EntryStatus.CONFLICT,
        EntryStatus.APPROVED,
        EntryStatus.REJECTED,
    )
)
"""In the order the counts of an import list them (values: they are JSON keys too)."""
LEADING_DIGITS = re.compile(r"^\s*(\d+)")


def registration(tx: Tx, authority: str, book: str, number: str) -> dict[str, Any] | None:
    """The act registered under (authority, book, number), with its persons, or None."""
    act = tx.row(
        "SELECT * FROM ll_act WHERE authority = %s AND book = %s AND number = %s",
        (authority, book, number),
    )
    if act is None:
        return None
    persons = tx.rows(
        "SELECT pin, role FROM ll_act_person WHERE act_id = %s ORDER BY role, pin",
        (act["act_id"],),
    )
    content = loads(act["content"])
    return {
        "act_id": act["act_id"],
        "kind": act["kind"],
        "reference": {
            "authority": authority,
            "book": book,
            "number": number,
            "page": act["page"],
            "province": act["province"],
            "registered_on": act["registered_on"],
            "label": f"{authority}/{book}/{number}",
        },
        "occurred_on": act["fact_date"],
        "content": content,
        "original": loads(act["original"]) if act["original"] else content,
        "source": loads(act["source"]),
        "recorded_by": loads(act["recorded_by"]),
        "recorded_at": act["recorded_at"],
        "revoked": bool(act["revoked"]),
        "revocation": loads(act["revocation"]) if act["revocation"] else None,
        "pins": loads(act["pins"]),
        "persons": persons,
        "position": act["position"],
    }


def number_value(number: str) -> int | None:
    """The number a register line carries: its leading digits ("012", "12a" -> 12)."""
    found = LEADING_DIGITS.match(number)
    return int(found.group(1)) if found else None


def book(tx: Tx, authority: str, book: str) -> dict[str, Any] | None:
    """What a digitization team checks in one registration book.

    `missing`: the numbers 1..highest with no act. `duplicated`: numbers held twice, which
    the unique reference cannot stop when the lines were written differently ("12", "012",
    "12a" all read as 12), or a number held by an act and also by a different staged entry
    still pending or in the conflict queue. `staged`: numbers staged but not yet acts (part
    of what is missing may be waiting for approval). `unnumbered`: numbers with no digits."""
    acts = tx.rows(
        "SELECT number, act_id FROM ll_act WHERE authority = %s AND book = %s",
        (authority, book),
    )
    entries = tx.rows(
        "SELECT entry_id, number, status FROM ll_entry WHERE authority = %s AND book = %s "
        "AND status IN ('pending', 'conflict') ORDER BY position",
        (authority, book),
    )
    if not acts and not entries:
        return None
    held: dict[int, list[str]] = defaultdict(list)
    for act in acts:
        value = number_value(act["number"])
        if value is not None:
            held[value].append(act["number"])
    staged: dict[int, list[Row]] = defaultdict(list)
    for entry in entries:
        value = number_value(entry["number"])
        if value is not None:
            staged[value].append(entry)
    highest = max(held, default=0)
    duplicated = sorted(n for n in held if len(held[n]) > 1 or n in staged)
    return {
        "authority": authority,
        "book": book,
        "acts": len(acts),
        "numbers_present": sorted((a["number"] for a in acts), key=_number_order),
        "missing": [n for n in range(1, highest + 1) if n not in held],
        "duplicated": duplicated,
        "duplicates": [
            {"number": n, "acts": sorted(held[n], key=_number_order), "entries": staged.get(n, [])}
            for n in duplicated
        ],
        "staged": sorted(n for n in staged if n not in held),
        "unnumbered": sorted(a["number"] for a in acts if number_value(a["number"]) is None),
    }


def _number_order(number: str) -> tuple[int, str]:
    value = number_value(number)
    return (value if value is not None else 1 << 62, number)


def statistics(
    tx: Tx, province: str | None, since: str | None, until: str | None
) -> dict[str, Any]:
    """Counts of acts (revoked ones no longer counted) by kind, province, registration day
    and source, over registration days `since`..`until` (inclusive)."""
    where, params = "acts <> 0", []
    for condition, value in (
        ("province = %s", province),
        ("registered_on >= %s", since),
        ("registered_on <= %s", until),
    ):
        if value is not None:
            where += f" AND {condition}"
            params.append(value)
    rows = tx.rows(
        "SELECT kind, province, registered_on, source, acts FROM ll_stat "
        f"WHERE {where} ORDER BY registered_on, province, kind, source",
        params,
    )
    totals: dict[str, Counter[str]] = {
        key: Counter() for key in ("kind", "province", "registered_on", "source")
    }
    for row in rows:
        for key, counter in totals.items():
            counter[row[key]] += int(row["acts"])
    return {
        "total": sum(int(row["acts"]) for row in rows),
        "by_kind": dict(sorted(totals["kind"].items())),
        "by_province": dict(sorted(totals["province"].items())),
        "by_day": dict(sorted(totals["registered_on"].items())),
        "by_source": dict(sorted(totals["source"].items())),
        "rows": [{**row, "acts": int(row["acts"])} for row in rows],
    }


def entries(
    tx: Tx,
    status: str,
    limit: int,
    after: int,
    provinces: frozenset[str] = frozenset(),
    batch: str | None = None,
) -> list[dict[str, Any]]:
    """Staged entries with this status, in ledger order after position `after` (a page ends
    at its last entry's position: pass it as the next `after`), of offices in `provinces`
    (empty: all), of one import (`batch`) or all."""
    if status not in ENTRY_STATUSES:
        raise ValueError(f"status must be one of {', '.join(ENTRY_STATUSES)}, not {status!r}")
    where, params = "status = %s AND position > %s", [status, after]
    if batch is not None:
        where, params = f"{where} AND batch = %s", [*params, batch]
    if provinces:
        condition, values = tx.any_of("substr(authority, 1, 3)", sorted(provinces))
        where, params = f"{where} AND {condition}", [*params, *values]
    rows = tx.rows(
        f"SELECT * FROM ll_entry WHERE {where} ORDER BY position LIMIT %s", [*params, limit]
    )
    return [
        {
            **row,
            "content": loads(row["content"]),
            "reason": loads(row["reason"]) if row["reason"] else None,
        }
        for row in rows
    ]


def entries_of_import(tx: Tx, batch: str) -> dict[str, int]:
    """How many of an import's staged entries are pending, approved, rejected, in conflict."""
    rows = tx.rows(
        "SELECT status, count(*) AS n FROM ll_entry WHERE batch = %s GROUP BY status", (batch,)
    )
    return {**dict.fromkeys(ENTRY_STATUSES, 0), **{r["status"]: int(r["n"]) for r in rows}}


def pending_entry_ids(tx: Tx, batch: str, provinces: frozenset[str]) -> list[str]:
    """The ids of an import's pending entries, of offices in `provinces` (empty: all)."""
    where, params = "batch = %s AND status = 'pending'", [batch]
    if provinces:
        condition, values = tx.any_of("substr(authority, 1, 3)", sorted(provinces))
        where, params = f"{where} AND {condition}", [*params, *values]
    return [r["entry_id"] for r in tx.rows(f"SELECT entry_id FROM ll_entry WHERE {where}", params)]
