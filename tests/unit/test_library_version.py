"""The ledger overrides internals of eventsourcing 9.5.x (docs/adr/0003-library-overrides.md):
another minor version must be a decision, taken with that list in hand."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import resolve_topic

from lifeledger.database_url import DatabaseUrl
from lifeledger.library_overrides import ColumnArrayRecorder


def test_eventsourcing_is_the_minor_version_the_overrides_were_written_for() -> None:
    installed = version("eventsourcing")
    assert installed.startswith("9.5."), (
        f"eventsourcing {installed} is installed; the overrides in "
        "docs/adr/0003-library-overrides.md were written for 9.5.x: check each one, then "
        "widen the pin in pyproject.toml and this test together"
    )


def test_the_postgres_settings_install_the_ledgers_recorder() -> None:
    env = DatabaseUrl.parse("postgresql://postgres@127.0.0.1:5432/ll").eventsourcing_env()
    assert resolve_topic(env["APPLICATION_RECORDER_TOPIC"]) is ColumnArrayRecorder


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (PostgresApplicationRecorder, "_insert_stored_events"),
        (PostgresApplicationRecorder, "_lock_table"),
        (PostgresApplicationRecorder, "_notify_channel"),
        (Application, "_record"),
        (Application, "_notify"),
        (JSONTranscoder, "_encode_obj"),
    ],
)
def test_the_library_internals_the_overrides_call_still_exist(owner: type, name: str) -> None:
    assert callable(getattr(owner, name, None)), f"{owner.__name__}.{name} is gone"
