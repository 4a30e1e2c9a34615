"""Concurrent writers cannot both win: the store's versions decide, the loser re-checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from lifeledger.commands import Recorder
from lifeledger.domain.errors import Bigamy, ConcurrentWrite, LedgerError
from lifeledger.ledger import Ledger
from lifeledger.settings import Settings
from tests.builders import a_birth, a_marriage, a_pin

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
