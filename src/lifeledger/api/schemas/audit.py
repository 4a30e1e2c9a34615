"""The answers of the auditors' reports: corrections by office, and unusual reading."""

from __future__ import annotations

from pydantic import Field

from lifeledger.api.schemas.out import Out


class KindMonthOut(Out):
    kind: str = Field(description="The kind of the corrected act (birth, marriage, …)")
    month: str = Field(description="The month the corrections were registered, YYYY-MM")
    corrections: int


class OfficeCorrectionsOut(Out):
    office: str = Field(description="The registering office (authority code)")
    province: str
    acts: int = Field(description="Acts (other than corrections) it registered in the period")
    corrections: int = Field(description="Corrections it registered in the period")
    rate_per_1000: float | None = Field(
        description="Corrections per 1,000 acts it registered; null when it registered none"
    )
    by_kind_and_month: list[KindMonthOut]


class CorrectionReportOut(Out):
    since: str | None = Field(description="First registration day counted (null: the first)")
    until: str | None = Field(description="Last registration day counted (null: the last)")
    offices: list[OfficeCorrectionsOut] = Field(
        description="Highest rate first: the offices that correct unusually often lead"
    )
    position: int


class ReadingFlagOut(Out):
    user: str
    hour: str = Field(description="The hour (UTC) of the reads, e.g. 2026-12-05T11:00:00Z")
    persons: int = Field(description="Distinct persons the user read in that hour")


class ReadingFlagsOut(Out):
    threshold: int = Field(description="More distinct persons than this in an hour is flagged")
    flags: list[ReadingFlagOut] = Field(description="Oldest hour first")
    truncated: bool = Field(description="More flags than `limit` matched: narrow the period")
