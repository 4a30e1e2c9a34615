"""Text as the ledger keeps it: in Unicode's composed form (NFC), without control or invisible
characters; a name or a code (a *label*) on one line, single-spaced, without surrounding
spaces. The same name typed composed or decomposed, or with a stray space, is one name."""

from __future__ import annotations

import unicodedata

REFUSED_CATEGORIES = {
    "Cc": "a control character",  # tab, newline, carriage return, escape, ...
    "Cf": "an invisible formatting character",  # bidi overrides, zero-width, BOM, soft hyphen
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Co": "a private-use character",  # no agreed meaning: two offices may show it differently
    "Cn": "an unassigned code point",  # a later Unicode may give it a form NFC changes
    "Cs": "an unpaired surrogate",
}
"""Unicode categories no text of an entry may hold, and how a refusal names them."""


def refused_character(text: str) -> str | None:
    """Why the text may not be kept (naming its first refused character), or None."""
    if text.isprintable():  # the usual case: printable characters and ASCII spaces only
        return None
    for char in text:
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES:
            return f"holds {REFUSED_CATEGORIES[category]} (U+{ord(char):04X})"
    return None  # what made it unprintable were spaces (a no-break space, ...)


def canonical_text(text: str) -> str:
    """The text in NFC (checking is cheap: most text is ASCII or NFC already)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def canonical_label(text: str) -> str:
    """A name or a code: NFC, runs of spaces (of any width) made one space, none around."""
    composed = canonical_text(text)
    single = " ".join(composed.split())
    return composed if single == composed else single
