"""Concurrent writers cannot both win: the store's versions decide, the loser re-checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lifeledger.commands.unit_of_work import Recorder
from lifeledger.domain.entry_reader import parse_act
from lifeledger.domain.errors import Bigamy, ConcurrentWrite, LedgerError
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from tests.builders import a_birth, a_death, a_marriage, a_pin
from tests.conftest import NewDatabase

THREADS = 20


def test_twenty_simultaneous_marriages_of_one_man_record_exactly_one(postgres_url: str) -> None:
    ledger = Ledger(Settings(database_url=postgres_url, pool_size=THREADS))
    officer = Recorder("officer-1")
    groom = a_pin("M", 1990)
    ledger.register(a_birth(groom, "1990-01-01"), officer)
    brides = [a_pin("F", 1992) for _ in range(THREADS)]
    for bride in brides:
        ledger.register(a_birth(bride, "1992-06-01"), officer)

    def marry(bride: str) -> str:
        try:
            ledger.register(a_marriage(groom, bride, "2015-06-01"), officer)
        except (Bigamy, ConcurrentWrite) as refused:
            return refused.code
        return "accepted"

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(marry, brides))

    assert results.count("accepted") == 1
    assert set(results) <= {"accepted", "bigamy", "concurrent-write"}
    husband = ledger.person(groom)
    assert husband is not None and len(husband.marriages()) == 1
    wives_married = [b for b in brides if (p := ledger.person(b)) and p.marriages()]
    assert wives_married == [husband.marriages()[0].spouse]
    ledger.close()


def test_the_same_act_from_two_writers_is_recorded_once(ledger: Ledger) -> None:
    officer = Recorder("officer-1")
    entry = a_birth(a_pin("F", 2001), "2001-02-03")

    def register(_: int) -> str:
        try:
            return ledger.register(entry, officer).status
        except LedgerError as refused:
            return refused.code

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(register, range(4)))

    assert results.count("accepted") == 1
    assert set(results) <= {"accepted", "duplicate", "concurrent-write"}


def test_a_batch_sees_what_another_writer_saved_after_an_earlier_batch(
    new_database: NewDatabase,
) -> None:
    """A batch import keeps the persons of earlier batches in memory; the first wife's death,
    recorded by another process in between, must free the husband to marry again (she is only
    read by that marriage, so no version conflict would reveal a stale copy)."""
    url = new_database()
    importer, other = (Ledger(Settings(database_url=url)) for _ in range(2))
    officer = Recorder("officer-1")
    husband, first_wife, second_wife = a_pin("M", 1960), a_pin("F", 1962), a_pin("F", 1970)
    entries = [
        a_birth(husband, "1960-01-01"),
        a_birth(first_wife, "1962-01-01"),
        a_birth(second_wife, "1970-01-01"),
        a_marriage(husband, first_wife, "1990-06-01"),
    ]
    importer.record_many([parse_act(e) for e in entries], officer)
    other.register(a_death(first_wife, "2000-01-01"), officer)

    [outcome] = importer.record_many(
        [parse_act(a_marriage(husband, second_wife, "2005-06-01"))], officer
    )

    assert outcome.status == "accepted", outcome.error
    importer.close()
    other.close()
