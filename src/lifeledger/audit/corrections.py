"""Correction reports for auditors: how many corrections each registering office recorded, by
the kind of act they corrected and by month, against the acts the office registered, so the
offices that correct unusually often stand out. Counted in the read models by SQL grouping."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

from lifeledger.database import Tx, ViewDatabase

PER = 1000
"""Rates are corrections per this many acts registered."""


@dataclass(frozen=True)
class Scope:
    """What a report covers: one office, one province, or the provinces of the auditor
    (`provinces`, none: all), and the registration days from `since` to `until` inclusive
    (ISO days, None: unbounded)."""

    office: str | None = None
    province: str | None = None
    provinces: frozenset[str] = frozenset()
    since: str | None = None
    until: str | None = None


@dataclass
class OfficeFigures:
    """One office's corrections (by the corrected act's kind and by month) and its acts."""

    office: str
    acts: int = 0
    corrections: int = 0
    by_kind_and_month: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Corrections per `PER` acts registered; None when it registered none."""
        return round(self.corrections * PER / self.acts, 2) if self.acts else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "office": self.office,
            "province": self.office[:3],
            "acts": self.acts,
            "corrections": self.corrections,
            "rate_per_1000": self.rate,
            "by_kind_and_month": self.by_kind_and_month,
        }


def report(db: ViewDatabase, scope: Scope) -> list[dict[str, Any]]:
    """Each office of the scope that registered an act or a correction in the period, most
    corrections per 1,000 acts first (then by code; see `_rank`)."""
    offices: dict[str, OfficeFigures] = {}
    with db.transaction() as tx:
        for row in _acts_by_office(tx, scope):
            offices[row["office"]] = OfficeFigures(row["office"], acts=int(row["acts"]))
        for row in _corrections_by_office_kind_month(tx, scope):
            figures = offices.setdefault(row["office"], OfficeFigures(row["office"]))
            count = int(row["corrections"])
            figures.corrections += count
            figures.by_kind_and_month.append(
                {"kind": row["kind"], "month": row["month"], "corrections": count}
            )
    ranked = sorted(offices.values(), key=lambda f: (-_rank(f), f.office))
    return [figures.as_dict() for figures in ranked]


def _rank(figures: OfficeFigures) -> float:
    """Its rate; an office that corrected without registering any act leads (no rate can be
    told, and a desk that only corrects is worth a look)."""
    if figures.rate is None:
        return math.inf if figures.corrections else 0.0
    return figures.rate


CSV_COLUMNS = (
    "office",
    "province",
    "acts",
    "corrections",
    "rate_per_1000",
    "kind",
    "month",
    "kind_month_corrections",
)


def csv_rows(offices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report as one flat row per office, kind and month (an office without corrections:
    one row with `kind` and `month` empty), the office's figures repeated on each."""
    rows = []
    for office in offices:
        totals = {k: office[k] for k in CSV_COLUMNS[:5]}
        details = office["by_kind_and_month"] or [{"kind": "", "month": "", "corrections": 0}]
        for each in details:
            rows.append(
                {
                    **totals,
                    "kind": each["kind"],
                    "month": each["month"],
                    "kind_month_corrections": each["corrections"],
                }
            )
    return rows


def to_csv(offices: list[dict[str, Any]]) -> str:
    """RFC 4180 CSV with a header line (`rate_per_1000` empty where the office registered no
    act in the period)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(offices):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _where(tx: Tx, scope: Scope, act: str) -> tuple[str, list[Any]]:
    """The conditions on the acts (`act`: the table's alias) that the scope selects."""
    office = f"{act}.authority"
    conditions: list[str] = ["1 = 1"]
    params: list[Any] = []
    if scope.office is not None:
        conditions.append(f"{office} = %s")
        params.append(scope.office)
    if scope.province is not None:
        conditions.append(f"substr({office}, 1, 3) = %s")
        params.append(scope.province)
    if scope.provinces:
        condition, values = tx.any_of(f"substr({office}, 1, 3)", sorted(scope.provinces))
        conditions.append(condition)
        params += values
    if scope.since is not None:
        conditions.append(f"{act}.registered_on >= %s")
        params.append(scope.since)
    if scope.until is not None:
        conditions.append(f"{act}.registered_on <= %s")
        params.append(scope.until)
    return " AND ".join(conditions), params


def _acts_by_office(tx: Tx, scope: Scope) -> list[dict[str, Any]]:
    """The acts each office registered in the period, corrections not counted (they are what
    is measured)."""
    where, params = _where(tx, scope, "a")
    return tx.rows(
        "SELECT a.authority AS office, COUNT(*) AS acts FROM ll_act a "
        f"WHERE a.kind <> 'correction' AND {where} GROUP BY a.authority",
        params,
    )


def _corrections_by_office_kind_month(tx: Tx, scope: Scope) -> list[dict[str, Any]]:
    """Corrections registered in the period, by the correcting office, the kind of the act
    corrected (through `ll_correction`, one target per correction) and month."""
    where, params = _where(tx, scope, "c")
    month = "substr(c.registered_on, 1, 7)"
    return tx.rows(
        f"SELECT c.authority AS office, t.kind AS kind, {month} AS month, "
        "COUNT(*) AS corrections FROM ll_act c "
        "JOIN (SELECT DISTINCT correction_id, target_id FROM ll_correction) k "
        "ON k.correction_id = c.act_id JOIN ll_act t ON t.act_id = k.target_id "
        f"WHERE c.kind = 'correction' AND {where} "
        f"GROUP BY c.authority, t.kind, {month} ORDER BY c.authority, {month}, t.kind",
        params,
    )
