"""What "the same ledger" means in tests: every stored event, minus its recording time."""

from __future__ import annotations

import json
from typing import Any

from lifeledger.ledger import Ledger


def ledger_events(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every event as (aggregate, version, type, fields), sorted: order-free and time-free."""
    found = []
    start = 1
    while True:
        notifications = ledger.recorder.select_notifications(start=start, limit=1000)
        if not notifications:
            break
        for notification in notifications:
            event = ledger.mapper.to_domain_event(notification)
            fields = {k: v for k, v in vars(event).items() if k != "timestamp"}
            found.append(
                (
                    str(event.originator_id),
                    event.originator_version,
                    type(event).__qualname__,
                    json.dumps(fields, sort_keys=True, default=str),
                )
            )
        start = notifications[-1].id + 1
    return sorted(found)
