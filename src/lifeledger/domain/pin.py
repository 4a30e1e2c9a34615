"""The 12-digit personal identification number `PPP C YY RRRRRR`: parse, validate, parts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifeledger.domain.errors import InvalidPin, PinMismatch
from lifeledger.domain.provinces import PROVINCES

PIN_FORM = re.compile(r"[0-9]{12}")
"""A PIN is text of exactly twelve ASCII digits (matched whole: no space, no newline, no
other script's digits; `str.isdigit` also takes "٣" or "³")."""
SHOWN = 40
"""At most this much of a refused value is repeated in the refusal."""

_CENTURY_OF_DIGIT = {
    0: 1900,
    1: 1900,
    2: 2000,
    3: 2000,
    4: 2100,
    5: 2100,
    6: 2200,
    7: 2200,
    8: 2300,
    9: 2300,
}


@dataclass(frozen=True)
class Pin:
    """A validated PIN. `Pin.parse` is the only way in."""

    value: str

    @classmethod
    def parse(cls, text: object, field: str = "pin") -> Pin:
        """The PIN `text` states, or InvalidPin naming `field`: text of exactly 12 ASCII
        digits (nothing stripped: every reader of the entry must see the same PIN) whose
        first three are a known province code."""
        if not isinstance(text, str) or PIN_FORM.fullmatch(text) is None:
            shown = repr(text)[:SHOWN] if isinstance(text, str | int | None) else "an object"
            raise InvalidPin(
                f"{field}: {shown} is not text of exactly 12 digits 0-9",
                field=field,
                pin=text[:SHOWN] if isinstance(text, str) else None,
                part="length",
            )
        value = text
        if value[:3] not in PROVINCES:
            raise InvalidPin(
                f"{field}: {value} has unknown province code {value[:3]}",
                field=field,
                pin=value,
                part="province",
            )
        return cls(value)

    @property
    def province(self) -> str:
        return self.value[:3]

    @property
    def sex(self) -> str:
        """'M' for an even century digit, 'F' for an odd one."""
        return "M" if int(self.value[3]) % 2 == 0 else "F"

    @property
    def birth_year(self) -> int:
        return _CENTURY_OF_DIGIT[int(self.value[3])] + int(self.value[4:6])

    def check_agrees(self, sex: str | None, birth_year: int | None, field: str = "pin") -> None:
        """Refuse a PIN whose century/sex digit or year digits contradict the known facts."""
        if sex is not None and sex != self.sex:
            raise PinMismatch(
                f"{field}: {self.value} has century/sex digit {self.value[3]} ({self.sex}) "
                f"but the person's sex is {sex}",
                field=field,
                pin=self.value,
                part="sex",
            )
        if birth_year is not None and birth_year != self.birth_year:
            raise PinMismatch(
                f"{field}: {self.value} encodes birth year {self.birth_year} "
                f"(digits {self.value[3:6]}) but the person was born in {birth_year}",
                field=field,
                pin=self.value,
                part="birth_year",
            )

    def __str__(self) -> str:
        return self.value
