"""Where a user may write: the provinces of their jurisdiction against the registering office
of an act and of every act it changes.

A registering office's code starts with its province (`034-XA-DONGHOA` is in 034). A new act
(birth, marriage, death, parentage, adoption, guardianship) is written by the office that
registers it, whatever province issued its persons' PINs: the Civil Status Law 2014 gives
them to the commune where a party resides. A change of an existing act (a correction, a
divorce, the end of a guardianship, a revocation) is also the business of the office that
registered that act: the ledger holds no reliable record of where a person lives now, so the
law's other route (the commune of residence) is left to national users.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lifeledger.domain.acts import Act, Reference
from lifeledger.domain.errors import LedgerError, OutsideJurisdiction, RefusedOutsideJurisdiction
from lifeledger.domain.provinces import PROVINCES

Provinces = frozenset[str]
"""The provinces a user acts in; empty: all of them (a national user)."""


def office_province(authority: str) -> str:
    """The province of a registering office: its code's first three characters."""
    return authority[:3]


def covers(provinces: Provinces, province: str | None) -> bool:
    return not provinces or province in provinces


def check_office(provinces: Provinces, authority: str, label: str, what: str) -> None:
    """Refuse unless the office `authority` (of the act `label`) is in `provinces`."""
    province = office_province(authority)
    if not covers(provinces, province):
        raise OutsideJurisdiction(
            f"{what}: {label} is registered by an office of province {province}, outside "
            f"the user's provinces ({', '.join(sorted(provinces))})",
            province=province,
        )


def named_targets(act: Act) -> list[Reference]:
    """The existing acts an entry names as the ones it changes (a correction's target, the
    marriage a divorce ends)."""
    paths = {"correction": ("target",), "divorce": ("marriage",)}.get(act.kind, ())
    return [Reference.at(act.content, p) for p in paths if isinstance(act.content.get(p), dict)]


def check_write(act: Act, provinces: Provinces) -> None:
    """Before any rule or lookup: the act's own office and the offices of the acts it names
    as changed must be in the user's provinces."""
    if not provinces:
        return
    what = f"{act.kind} refused"
    check_office(provinces, act.reference.authority, act.reference.label, what)
    for target in named_targets(act):
        check_office(provinces, target.authority, target.label, what)


def outside(provinces: Provinces, pins: Iterable[str]) -> list[str]:
    """The PINs whose province (their first three digits) is not in `provinces`."""
    if not provinces:
        return []
    return sorted({pin for pin in pins if pin[:3] not in provinces})


PIN_IN_TEXT = re.compile(r"(?<![0-9A-Za-z-])[0-9]{12}(?![0-9A-Za-z-])")
"""Twelve digits standing alone (not a part of an id, a number or a UUID's last group)."""


def pins_in(value: object) -> set[str]:
    """Every PIN written anywhere in a value (a message, a JSON document): in each of its
    strings as read, not in its JSON text, where an escape (`\\n` before the digits) would
    hide one."""
    return {
        pin for text in _texts(value) for pin in PIN_IN_TEXT.findall(text) if pin[:3] in PROVINCES
    }


TWELVE_DIGITS_OR_MORE = re.compile(r"[0-9]{12,}")


def pin_provinces_in(text: str) -> set[str]:
    """The provinces of every PIN that JSON `text` written by `jsoncodec.dumps` may hold
    (digits are never escaped there): the first three of any twelve digits in a row. Never
    fewer than its PINs' provinces, whatever escape comes before one; twelve digits that are
    part of something else can only add one. Much faster than reading the JSON and looking
    in each of its strings (`pins_in`)."""
    found: set[str] = set()
    for run in TWELVE_DIGITS_OR_MORE.findall(text):
        found.update(run[start : start + 3] for start in range(len(run) - 11))
    return found & PROVINCES.keys()


def _texts(value: object) -> Iterator[str]:
    """Every string in a value (its mappings' keys too), other scalars as `str` gives them."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _texts(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def undisclosed(error: LedgerError, provinces: Provinces, pins: Iterable[str]) -> LedgerError:
    """The ledger's refusal of an act as a user of `provinces` may see it: as it is, unless
    the act names (`pins`) or the refusal concerns a person outside those provinces; then a
    refusal that names no fact (not even which rule: the rule alone can tell a marital status
    or a death). Checked after the act was read from the request: errors about the request
    itself name only what the caller sent and need no withholding."""
    named = {*pins, *error.concerns, *pins_in(error.message), *pins_in(error.facts)}
    hidden = outside(provinces, named)
    if not hidden:
        return error
    return RefusedOutsideJurisdiction(
        "refused: the reason concerns persons outside the user's provinces; a user of their "
        "provinces, or a national user, can see it"
    )
