"""The search's word index (`ll_name_word`): each word of each person's folded name, so that a
word prefix is one index range (see `search`); and the folding itself."""

from __future__ import annotations

import re
from functools import lru_cache

from unidecode import unidecode

from lifeledger.database import DO_NOTHING, Queue

DDL = (
    """CREATE TABLE IF NOT EXISTS ll_name_word (
        word TEXT NOT NULL, pin TEXT NOT NULL, PRIMARY KEY (word, pin))""",
)
TABLES = ("ll_name_word",)
WORD = re.compile(r"[a-z0-9]+")
COLUMNS = ("word", "pin")
DELETE = "DELETE FROM ll_name_word WHERE word = %s AND pin = %s"


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII for matching names with or without diacritics ("Đặng" -> "dang")."""
    return " ".join(unidecode(text.replace("Đ", "D").replace("đ", "d")).lower().split())


def words(folded: str | None) -> list[str]:
    """The words of a folded name, in order, as the search indexes them."""
    return WORD.findall(folded or "")


def name_words(folded: str | None) -> set[str]:
    return set(words(folded))


def rewrite_words(tx: Queue, renamed: list[tuple[str, str | None, str | None]]) -> None:
    """Keep the index in step with the folded names of persons written (pin, the name before,
    the name now; the words a person loses and gains are distinct, so all deletions go
    first, in one statement)."""
    changed = [(pin, name_words(old), name_words(new)) for pin, old, new in renamed]
    for pin, old, new in changed:
        for word in sorted(old - new):
            tx.defer("ll_name_word", DELETE, (word, pin))
    for pin, old, new in changed:
        for word in sorted(new - old):
            tx.defer_insert("ll_name_word", COLUMNS, (word, pin), DO_NOTHING)


def delete_words(tx: Queue, pin: str, folded: str | None) -> None:
    """Take a person's name out of the index (the person is deleted)."""
    for word in sorted(name_words(folded)):
        tx.defer("ll_name_word", DELETE, (word, pin))
