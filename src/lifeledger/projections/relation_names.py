"""Names of relations in English, from a's point of view: "b is a's <relation>". Pure functions
of the shape of the path between two persons and b's sex (tested as a table of cases).

A blood relation is named by how many generations a climbs to the nearest common ancestor
(`up`) and how many b is below it (`down`): (1, 0) father, (0, 2) granddaughter, (1, 1)
sister, (2, 1) uncle, (1, 2) niece, (2, 2) first cousins, (3, 2) first cousins once
removed, (3, 3) second cousins.
"""

from __future__ import annotations

NOT_RELATED = "not related"
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
TIMES = {1: "once", 2: "twice", 3: "three times"}


def _word(sex: str | None, male: str, female: str, neutral: str) -> str:
    return male if sex == "M" else female if sex == "F" else neutral


def _greats(count: int) -> str:
    return "great-" * max(count, 0)


def blood_relation(up: int, down: int, sex: str | None, half: bool = False) -> str:
    """b's relation to a, where a is `up` generations below the nearest common ancestor and b
    `down` generations below it; `half`: siblings with only one parent in common."""
    if up == 0 and down == 0:
        return "self"
    if up == 0:
        return _descendant(down, sex)
    if down == 0:
        return _ancestor(up, sex)
    if up == 1 and down == 1:
        return ("half-" if half else "") + _word(sex, "brother", "sister", "sibling")
    if up == 1:
        grand = "grand" if down >= 3 else ""
        return _greats(down - 3) + grand + _word(sex, "nephew", "niece", "nephew or niece")
    if down == 1:
        return _greats(up - 2) + _word(sex, "uncle", "aunt", "uncle or aunt")
    return _cousins(up, down)


def _descendant(down: int, sex: str | None) -> str:
    child = _word(sex, "son", "daughter", "child")
    if down == 1:
        return child
    grand = _word(sex, "grandson", "granddaughter", "grandchild")
    return _greats(down - 2) + grand


def _ancestor(up: int, sex: str | None) -> str:
    if up == 1:
        return _word(sex, "father", "mother", "parent")
    return _greats(up - 2) + _word(sex, "grandfather", "grandmother", "grandparent")


def _cousins(up: int, down: int) -> str:
    degree, removed = min(up, down) - 1, abs(up - down)
    ordinal = ORDINALS[degree - 1] if degree <= len(ORDINALS) else f"{degree}th"
    name = f"{ordinal} cousins"
    if removed:
        name += f" {TIMES.get(removed, f'{removed} times')} removed"
    return name


def spouse_relation(sex: str | None, end_reason: str | None) -> str:
    """b is a's husband or wife; "former" once a divorce or annulment ended the marriage."""
    spouse = _word(sex, "husband", "wife", "spouse")
    return f"former {spouse}" if end_reason in ("divorce", "annulment") else spouse


def spouses_relative(up: int, down: int, sex: str | None, spouse_sex: str | None) -> str:
    """b is a blood relative (up, down) of a's spouse (of sex `spouse_sex`)."""
    if (up, down) == (1, 0):
        return _word(sex, "father-in-law", "mother-in-law", "parent-in-law")
    if (up, down) == (1, 1):
        return _word(sex, "brother-in-law", "sister-in-law", "sibling-in-law")
    if (up, down) == (0, 1):
        return _word(sex, "stepson", "stepdaughter", "stepchild")
    spouse = _word(spouse_sex, "husband", "wife", "spouse")
    return f"{spouse}'s {_one(blood_relation(up, down, sex))}"


def relatives_spouse(up: int, down: int, relative_sex: str | None, sex: str | None) -> str:
    """b is the spouse of a's blood relative (up, down), who is of sex `relative_sex`."""
    if (up, down) == (0, 1):
        return _word(sex, "son-in-law", "daughter-in-law", "child-in-law")
    if (up, down) == (1, 1):
        return _word(sex, "brother-in-law", "sister-in-law", "sibling-in-law")
    if (up, down) == (1, 0):
        return _word(sex, "stepfather", "stepmother", "step-parent")
    if (up, down) == (0, 2):
        return _word(sex, "grandson-in-law", "granddaughter-in-law", "grandchild-in-law")
    spouse = _word(sex, "husband", "wife", "spouse")
    return f"{_one(blood_relation(up, down, relative_sex))}'s {spouse}"


def _one(relation: str) -> str:
    """A relation naming one person ("first cousins" -> "first cousin")."""
    return relation.replace("cousins", "cousin")


def former(relation: str, end_reason: str | None) -> str:
    """An in-law relation through a marriage that a divorce or annulment ended."""
    return f"former {relation}" if end_reason in ("divorce", "annulment") else relation
