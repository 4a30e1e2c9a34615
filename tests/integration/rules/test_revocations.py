"""Revocations: a revoked act no longer counts for the rules. Through `Ledger.register` on both
stores; every refusal is checked to write nothing (see `desk`)."""

from __future__ import annotations

import pytest

from lifeledger.domain.errors import ActNotFound, Bigamy
from tests.builders import a_marriage, a_pin
from tests.integration.rules.desk import Desk, ref, reference


def test_a_revoked_marriage_no_longer_blocks_a_new_marriage(desk: Desk) -> None:
    husband = desk.born("M", "1970-01-01")
    first_wife, second_wife = desk.born("F", "1972-01-01"), desk.born("F", "1975-01-01")
    first = desk.married(husband, first_wife, "2000-05-01")
    desk.refuse(a_marriage(husband, second_wife, "2005-05-01"), Bigamy, ref(first))

    assert desk.revoke(first).status == "accepted"
    assert desk.revoke(first).status == "duplicate"

    desk.married(husband, second_wife, "2005-05-01")
    registration = desk.ledger.registration(reference(first))
    assert registration is not None and registration.revoked  # it stays, flagged


def test_revocation_of_an_unknown_act_is_refused(desk: Desk) -> None:
    never = a_marriage(a_pin("M", 1970), a_pin("F", 1972), "2000-05-01")

    with pytest.raises(ActNotFound):
        desk.revoke(never)
