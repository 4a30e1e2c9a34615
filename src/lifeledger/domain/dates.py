"""Partial dates (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) of old records, and age arithmetic on them.

A partial date stands for an interval of days. Rules refuse only what the known
facts make certain: "death before birth" needs the whole death interval to lie
before the whole birth interval. Facts are ordered by their earliest day.

No date is after `today()`: the current date where it is latest (UTC+14).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from lifeledger.domain.errors import InvalidDate

_PATTERN = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
"""Matched whole (`fullmatch`): ASCII digits only, nothing around them."""
EARLIEST_ZONE = timezone(timedelta(hours=14), "UTC+14")
"""The first time zone to begin each day (Kiribati's Line Islands)."""
# The rules parse the dates their facts keep as text over and over: valid texts are
# remembered, a partial date being immutable. ~40,000 days span a century.
_PARSED: dict[str, PartialDate] = {}
_PARSED_MAX = 200_000


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date of which the month and day may be unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: object, field: str = "date") -> PartialDate:
        """The date `text` states exactly (no space around it), or InvalidDate naming
        `field`."""
        if not isinstance(text, str):
            raise InvalidDate(f"{field}: a date is text, not {type(text).__name__}", field=field)
        known = _PARSED.get(text)
        if known is not None:
            return known
        match = _PATTERN.fullmatch(text)
        if not match:
            raise InvalidDate(
                f"{field}: {text[:40]!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", field=field
            )
        year = int(match.group(1))
        month, day = (int(g) if g else None for g in match.groups()[1:])
        try:
            date(year, 1 if month is None else month, 1 if day is None else day)
        except ValueError:
            raise InvalidDate(f"{field}: {text!r} is not a calendar date", field=field) from None
        if year < 1800:
            raise InvalidDate(f"{field}: year {year} is before 1800", field=field)
        parsed = cls(year, month, day)
        if len(_PARSED) < _PARSED_MAX:
            _PARSED[text] = parsed
        return parsed

    @classmethod
    def of(cls, day: date) -> PartialDate:
        return cls(day.year, day.month, day.day)

    @property
    def earliest(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        if self.month is None:
            return date(self.year, 12, 31)
        if self.day is None:
            return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return date(self.year, self.month, self.day)

    @property
    def is_exact(self) -> bool:
        return self.day is not None

    def __str__(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def parse_optional(text: object, field: str) -> PartialDate | None:
    return None if text in (None, "") else PartialDate.parse(text, field)


def today() -> date:
    """Today's date where it is latest: in UTC+14, the first zone to begin each day. A date
    after this is after today everywhere; a registration made this morning in Vietnam (UTC+7)
    is never after it, whatever the server's own zone."""
    return datetime.now(EARLIEST_ZONE).date()


def surely_before(a: PartialDate, b: PartialDate) -> bool:
    """Every day `a` may stand for lies before every day `b` may stand for."""
    return a.latest < b.earliest


def surely_after(a: PartialDate, b: PartialDate, slack_days: int = 0) -> bool:
    """Every day of `a` lies after every day of `b` (plus `slack_days`)."""
    return a.earliest > b.latest + timedelta(days=slack_days)


def full_years(born: date, on: date) -> int:
    """Completed years of age on a day (a birthday counts on the day itself)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def greatest_possible_age(born: PartialDate, on: PartialDate) -> int:
    """The oldest the person can have been: born as early, measured as late as possible."""
    return full_years(born.earliest, on.latest)


def least_possible_age(born: PartialDate, on: PartialDate) -> int:
    return full_years(born.latest, on.earliest)
