"""A registry officer's desk for the rule tests: register acts and check what the ledger
answers; a refusal is checked to write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from lifeledger.commands.decisions import Outcome
from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.acts import Reference
from lifeledger.domain.errors import LedgerError
from lifeledger.ledger import Ledger
from tests.builders import a_birth, a_death, a_marriage, a_pin

Entry = dict[str, Any]


def ref(entry: Entry) -> str:
    """The registration reference label of an entry, as rule messages print it."""
    return Reference.at(entry, "register").label


def reference(entry: Entry) -> Reference:
    return Reference.at(entry, "register")


class Desk:
    """A registry officer's desk: register acts and check what the ledger answers."""

    def __init__(self, ledger: Ledger, officer: Recorder) -> None:
        self.ledger = ledger
        self.officer = officer

    def accept(self, entry: Entry) -> Outcome:
        before = self.ledger.position()
        outcome = self.ledger.register(entry, self.officer)
        assert outcome.status == "accepted", outcome
        assert self.ledger.position() > before
        return outcome

    def refuse(self, entry: Entry, error: type[LedgerError], *named: str) -> LedgerError:
        """The act is refused with exactly `error`, its message names `named`, nothing written."""
        before = self.ledger.position()
        with pytest.raises(LedgerError) as refused:
            self.ledger.register(entry, self.officer)
        assert type(refused.value) is error, refused.value
        for text in named:
            assert text in refused.value.message, (text, refused.value.message)
        assert self.ledger.position() == before, "a refused act must write nothing"
        return refused.value

    def born(self, sex: str, on: str, mother: str | None = None, father: str | None = None) -> str:
        """Register a birth and return the new person's PIN."""
        pin = a_pin(sex, int(on[:4]))
        self.accept(a_birth(pin, on, mother=mother, father=father))
        return pin

    def married(self, a: str, b: str, on: str) -> Entry:
        entry = a_marriage(a, b, on)
        self.accept(entry)
        return entry

    def died(self, pin: str, on: str) -> Entry:
        entry = a_death(pin, on)
        self.accept(entry)
        return entry

    def revoke(self, entry: Entry, on: str = "2021-01-01") -> Outcome:
        return self.ledger.revoke(
            reference(entry), "QĐ 9/2021", on, "UBND huyện Đông Hưng", "void", self.officer
        )
