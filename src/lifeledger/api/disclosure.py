"""What a user limited to some provinces sees of the persons outside them.

A read about a person (document, timeline, family, relationship, correction trail) names
their relatives and the other parties of their acts. A relative outside the reader's
provinces is shown by the relation and the name only: no PIN, no dates, no places. Where
the answer links persons by PIN (a family graph's edges, a fact's `other`), such a PIN is
replaced by a token (`hidden:1`, …) that stays the same within the one answer, so the graph
still holds together. National users see everything.
"""

from __future__ import annotations

import re
from typing import Any

from lifeledger.auth import Principal

KEPT = frozenset(
    {
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "kind",
        "role",
        "role_of_person",
        "type",
        "from",
        "to",
        "end_reason",
        "registration",
    }
)
"""What is shown of a person outside the reader's provinces: the relation and the name (and,
for a spouse, the reader's person's own marriage: its span and registration)."""

PIN = re.compile(r"[0-9]{12}")


def visible(user: Principal, document: Any) -> Any:
    """`document` as `user` may see it."""
    if user.national:
        return document
    return _Redaction(user).walk(document)


class _Redaction:
    def __init__(self, user: Principal) -> None:
        self.user = user
        self.tokens: dict[str, str] = {}

    def hidden(self, value: object) -> bool:
        return (
            isinstance(value, str)
            and PIN.fullmatch(value) is not None
            and not self.user.covers(value[:3])
        )

    def token(self, pin: str) -> str:
        return self.tokens.setdefault(pin, f"hidden:{len(self.tokens) + 1}")

    def walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            if self.hidden(value.get("pin")):
                return self.person(value)
            return {key: self.walk(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.walk(item) for item in value]
        if self.hidden(value):
            return self.token(value)
        return value

    def person(self, person: dict[str, Any]) -> dict[str, Any]:
        shown = {key: self.walk(item) for key, item in person.items() if key in KEPT}
        if "id" in person:  # a node of a family graph
            shown["id"] = self.token(person["pin"])
        return {**shown, "pin": None, "outside_jurisdiction": True}
