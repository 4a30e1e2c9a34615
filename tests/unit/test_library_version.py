"""The ledger overrides internals of eventsourcing 9.5.x (docs/adr/0003-library-overrides.md):
another minor version must be a decision, taken with that list in hand."""

from __future__ import annotations

from importlib.metadata import version


def test_eventsourcing_is_the_minor_version_the_overrides_were_written_for() -> None:
    installed = version("eventsourcing")
    assert installed.startswith("9.5."), (
        f"eventsourcing {installed} is installed; the overrides in "
        "docs/adr/0003-library-overrides.md were written for 9.5.x: check each one, then "
        "widen the pin in pyproject.toml and this test together"
    )
