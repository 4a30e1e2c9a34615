"""A small, realistic data set: four families over four generations in Thái Bình (034) and
Hà Nội (001), with marriages, a divorce, deaths and a correction (who is who: README.md
here). `load_demo` puts it into an empty ledger (`lifeledger demo`, `lifeledger serve`)."""

from __future__ import annotations

from importlib import resources

from lifeledger.importers.register import ImportSummary, import_files
from lifeledger.ledger import Ledger

DEMO_APPROVER = "demo-approver"
DEMO_OPERATOR = "demo-operator"
DEMO_PIN = "034087000401"
"""Nguyễn Minh Đức: parents, a sister, a wife from Hà Nội and two children."""


def load_demo(ledger: Ledger) -> ImportSummary | None:
    """Import the demo data into `ledger` if it is empty; None when it already holds events."""
    if ledger.position() > 0:
        return None
    demo_file = resources.files("lifeledger") / "demo" / "demo.jsonl"
    with resources.as_file(demo_file) as path:
        return import_files(ledger, [path], approve_as=DEMO_APPROVER, entered_by=DEMO_OPERATOR)
