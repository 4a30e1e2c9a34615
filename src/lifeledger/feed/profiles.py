"""What a subscriber sees of a feed event: first their provinces, then their data profile.

- **Provinces.** A subscriber limited to some provinces receives an event when the
  registering office or a person it concerns is in one of them (the read model's filter).
  A person outside them is shown by their role alone (`outside_jurisdiction`), a PIN outside
  them anywhere else in the event becomes `hidden`, and the `subject` names only the PINs in
  their provinces. Stricter than a person read (docs/security.md): a feed is read in bulk.
- **Profiles.** `full`: everything left. `identity`: PINs, roles, sex, dates and the act's
  reference; no names, no places, no free text. `statistics`: the kind, the office's
  province, the dates, the parties' roles and sex, what became of an entry, the names of
  corrected fields: no PIN (no `subject` either), no name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lifeledger.domain.jurisdiction import PIN_IN_TEXT
from lifeledger.domain.provinces import PROVINCES
from lifeledger.feed.envelopes import DIGEST, PREFIX, Data, FeedEvent

HIDDEN = "hidden"

REFERENCE_KEYS = ("authority", "province", "book", "number", "page", "registered_on")
"""What `identity` keeps of an act's or entry's reference: codes and a date."""
IDENTITY_KEYS = frozenset(
    {"act", "entry", "kind", "status", "correction", "pin", "role", "sex", "subject_pin"}
    | {"parties", "changes", "field", "before", "after", "outside_jurisdiction"}
)
REFERENCE_OBJECTS = ("reference", "register", "marriage", "target")
"""Objects naming an act by its reference (its own, the marriage a divorce ends, a
correction's target)."""
STATISTICS_KEYS = ("kind", "occurred_on", "decided_on", "status")


def sees_whole(event: FeedEvent, profile: str, provinces: frozenset[str]) -> bool:
    """Does a subscriber of `provinces` (empty: national) with `profile` see the event as it
    is? A digest (hashes and a signature: nothing about anyone) to all; anything else with
    `full`, to a national subscriber or one whose provinces hold every PIN in it."""
    return event.type == PREFIX + DIGEST or (
        profile == "full" and (not provinces or event.pin_provinces <= provinces)
    )


def visible(
    event: FeedEvent, profile: str, provinces: frozenset[str]
) -> tuple[Data, tuple[str, ...]]:
    """The event's `data` and `subject` as a subscriber of `provinces` (empty: national)
    with `profile` may see them."""
    data, subject = event.whole, event.subject
    if sees_whole(event, profile, provinces):
        return data, subject
    if provinces and not event.pin_provinces <= provinces:  # else nothing to take out
        data = _Scope(provinces).walk(data)
        subject = tuple(pin for pin in subject if pin[:3] in provinces)
    if profile == "identity":
        return identity(data), subject
    if profile == "statistics":
        return statistics(data), ()
    return data, subject


class _Scope:
    """Persons and PINs outside `provinces` taken out of a value."""

    def __init__(self, provinces: frozenset[str]) -> None:
        self.provinces = provinces

    def outside(self, value: object) -> bool:
        """A PIN (twelve digits standing alone, a known province first) of another province."""
        return (
            isinstance(value, str)
            and PIN_IN_TEXT.fullmatch(value) is not None
            and value[:3] in PROVINCES
            and value[:3] not in self.provinces
        )

    def walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            if self.outside(value.get("pin")):
                shown = {"role": value["role"]} if "role" in value else {}
                return {**shown, "pin": None, "outside_jurisdiction": True}
            return {key: self.walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item) for item in value]
        if isinstance(value, str):
            return PIN_IN_TEXT.sub(lambda m: HIDDEN if self.outside(m[0]) else m[0], value)
        return value


def _dated(key: str) -> bool:
    return key == "date" or key.endswith(("_on", "_date"))


def _keep_identity(key: str) -> bool:
    return key in IDENTITY_KEYS or _dated(key)


def identity(data: Data) -> Data:
    """PINs, roles, sex, dates and references; no names, places or free text."""
    reduced: Data = _reduce(data, _keep_identity)
    return reduced


def _reduce(value: Any, keep: Callable[[str], bool]) -> Any:
    if isinstance(value, list):
        return [_reduce(item, keep) for item in value]
    if not isinstance(value, dict):
        return value
    if "field" in value and "after" in value:  # a corrected field
        last = str(value["field"]).rsplit(".", 1)[-1]
        return dict(value) if keep(last) else {"field": value["field"]}
    reduced: dict[str, Any] = {}
    for key, item in value.items():
        if key in REFERENCE_OBJECTS and isinstance(item, dict):
            reduced[key] = {k: item[k] for k in REFERENCE_KEYS if k in item}
        elif key in ("content",) or (keep(key) and isinstance(item, dict | list)):
            reduced[key] = _reduce(item, keep)
        elif keep(key):
            reduced[key] = item
        elif isinstance(item, dict | list) and not _person_free(key):
            reduced[key] = _reduce(item, keep)
    return reduced


def _person_free(key: str) -> bool:
    """Objects `identity` drops whole: they hold text about places and decisions only."""
    return key in ("source", "recorded_by", "reason")


def statistics(data: Data) -> Data:
    """The kind, the office's province, the dates, the parties' roles and sex; no PIN, no
    name."""
    reference = data.get("reference") or {}
    shown: Data = {key: data[key] for key in STATISTICS_KEYS if key in data}
    shown["province"] = str(reference.get("authority", ""))[:3] or None
    shown["registered_on"] = reference.get("registered_on")
    shown["parties"] = [
        {k: p[k] for k in ("role", "sex") if k in p} for p in data.get("parties", [])
    ]
    if "changes" in data:
        shown["fields"] = [c["field"] for c in data["changes"]]
    return shown
