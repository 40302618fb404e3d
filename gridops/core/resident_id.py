"""Mainland resident ID numbers (居民身份证号码, GB 11643): the one check used by approvals and the ledger.

Two copies disagreed before: approvals tested `str.isdigit()` and the ledger a `\\d` pattern, and
both accept digits that are not ASCII: `isdigit()` is true for '²' (then `int('²')` raised, a
500), and `\\d` matches Arabic-Indic and full-width digits, so '１１０１…' passed as an ID a
clerk never saw. An ID number is 17 ASCII digits and an ISO 7064 MOD 11-2 check character
(a digit or X); spaces around it and a lower-case x are forgiven.
"""
from __future__ import annotations

import re

_PATTERN = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise(number: str | None) -> str:
    """The written form compared and stored: stripped, upper case."""
    return (number or "").strip().upper()


def check_character(first17: str) -> str:
    """The MOD 11-2 check character of 17 ASCII digits."""
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS)) % 11]


def resident_id_valid(number: str | None) -> bool:
    """Whether `number` (normalised first) is a well-formed resident ID with the right check character."""
    text = normalise(number)
    return bool(_PATTERN.fullmatch(text)) and check_character(text[:17]) == text[17]


def resident_id_with_check(first17: str) -> str:
    """Complete 17 digits with their check character (test data and the history generator)."""
    return first17 + check_character(first17)
