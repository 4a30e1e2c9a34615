"""When a row of the API's own tables was written: UTC, ISO 8601 to the millisecond, as text
that sorts as time does (an Idempotency-Key claim is stale when its text sorts before
another)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
