"""The read-model check: rebuilt from the events, the read models of an untouched ledger
equal the stored ones; a row changed, deleted or added behind the projections' back (direct
SQL) is named, by table, key and column, by the function and by `lifeledger
verify --projections`, which exits 1 then (0 when all holds, 2 on a usage error)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lifeledger.audit.read_models import Difference, differences
from lifeledger.database import ViewDatabase
from lifeledger.jsoncodec import dumps, loads
from lifeledger.ledger import Ledger
from lifeledger.projections import Projections
from lifeledger.settings import Settings
from tests.integration.test_cli import lifeledger
from tests.integration.test_projections import Family, build_family


@pytest.fixture
def family(ledger: Ledger) -> Iterator[Family]:
    """Three generations with a marriage, a divorce, a death and a correction, their read
    models caught up and their person documents built."""
    projections = Projections(ledger)
    found = build_family(projections)
    projections.runner.settle()
    yield found
    projections.close()


def sql(settings: Settings, statement: str, *params: object) -> None:
    db = ViewDatabase(settings.database_url, pool_size=1)
    try:
        with db.transaction(lock=True) as tx:
            tx.execute(statement, params)
    finally:
        db.close()


def test_an_untouched_ledger_has_no_difference(settings: Settings, family: Family) -> None:
    assert differences(settings) == []
    assert differences(settings, sample=3) == []
    done = lifeledger(settings.database_url, "verify", "--projections")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "match the events" in done.stdout


def test_a_changed_act_is_named_with_its_column_and_both_values(
    settings: Settings, family: Family
) -> None:
    birth = family.projections.registration(**_reference(family, "sister")).data
    assert birth is not None
    act_id = birth["act_id"]
    stored = family.projections.db.row("SELECT content FROM ll_act WHERE act_id = %s", (act_id,))
    assert stored is not None
    forged = {**loads(stored["content"]), "place_of_birth": "forged"}
    sql(settings, "UPDATE ll_act SET content = %s WHERE act_id = %s", dumps(forged), act_id)
    assert differences(settings) == [
        Difference("ll_act", {"act_id": act_id}, "content", dumps(forged), stored["content"])
    ]


def test_a_deleted_person_row_is_named_missing(settings: Settings, family: Family) -> None:
    sql(settings, "DELETE FROM ll_person WHERE pin = %s", family.wife)
    [missing] = differences(settings)
    assert (missing.table, missing.key, missing.column) == ("ll_person", {"pin": family.wife}, None)
    assert missing.stored is None and missing.rebuilt["pin"] == family.wife
    # A sample of every person finds it too.
    assert [d.key for d in differences(settings, sample=1000)] == [{"pin": family.wife}]


def test_an_added_row_is_named_added_and_the_command_exits_1(
    settings: Settings, family: Family
) -> None:
    sql(settings, "INSERT INTO ll_name_word (word, pin) VALUES (%s, %s)", "forged", family.wife)
    [added] = differences(settings)
    assert added == Difference(
        "ll_name_word",
        {"word": "forged", "pin": family.wife},
        None,
        {"word": "forged", "pin": family.wife},
        None,
    )
    done = lifeledger(settings.database_url, "verify", "--projections", "--sample", "1000")
    assert done.returncode == 1
    assert f"ll_name_word [word=forged, pin={family.wife}]: row added" in done.stdout


def test_a_changed_person_document_is_found_by_a_sample_as_by_the_whole_check(
    settings: Settings, family: Family
) -> None:
    sql(settings, "UPDATE ll_person_doc SET doc = %s WHERE pin = %s", "{}", family.sister)
    for found in (differences(settings), differences(settings, sample=1000)):
        [changed] = found
        assert (changed.table, changed.key, changed.column) == (
            "ll_person_doc",
            {"pin": family.sister},
            "doc",
        )
        assert changed.stored == "{}" and loads(changed.rebuilt)["pin"] == family.sister


def test_a_document_due_for_a_refresh_is_not_a_difference(
    settings: Settings, family: Family
) -> None:
    """The follower's idle work has not rebuilt it yet: reads do not serve it meanwhile."""
    sql(settings, "UPDATE ll_person_doc SET doc = %s WHERE pin = %s", "{}", family.sister)
    sql(settings, "INSERT INTO ll_doc_touched (pin, position) VALUES (%s, 1)", family.sister)
    assert differences(settings) == []


def test_a_sample_of_no_persons_is_a_usage_error(settings: Settings, family: Family) -> None:
    done = lifeledger(settings.database_url, "verify", "--projections", "--sample", "0")
    assert done.returncode == 2


def test_a_sample_without_projections_is_a_usage_error(settings: Settings, family: Family) -> None:
    done = lifeledger(settings.database_url, "verify", "--sample", "5")
    assert done.returncode == 2
    assert "--sample goes with --projections" in done.stderr


def _reference(family: Family, key: str) -> dict[str, str]:
    register = family.acts[key]["register"]
    return {k: register[k] for k in ("authority", "book", "number")}
