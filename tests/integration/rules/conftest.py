"""The `desk` fixture of the rule tests (on both stores, through `ledger`)."""

from __future__ import annotations

import pytest

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.ledger import Ledger
from tests.integration.rules.desk import Desk


@pytest.fixture
def desk(ledger: Ledger, officer: Recorder) -> Desk:
    return Desk(ledger, officer)
