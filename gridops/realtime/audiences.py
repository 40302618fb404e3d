"""Audience names and the Channels groups that carry them.

An audience is a name such as ``district``, ``town.440604101``, ``area.<11 digits>``,
``village.<14 digits>``, ``dept.cg``, ``grid.<17 digits>``,
``user.42``, ``hall.<code>``, ``justice`` or ``public``; its group is ``aud.<name>``. Keeping the
mapping here means publishers and the consumer can never disagree on a group name.
"""
import re

from gridops.core.errors import InvalidInput

DISTRICT = "district"
PUBLIC = "public"
JUSTICE = "justice"

# Channels accepts ASCII letters, digits, '-', '_' and '.', shorter than 100 characters.
_AUDIENCE_RE = re.compile(r"^(district|public|justice|(town|area|village|dept|grid|user|hall)\.[A-Za-z0-9_-]{1,60})$")
GROUP_PREFIX = "aud."


def validate(name: str) -> str:
    if not isinstance(name, str) or not _AUDIENCE_RE.match(name):
        raise InvalidInput(f"invalid audience name {name!r}", field="audiences")
    return name


def normalise(audiences, *, include_district: bool = True) -> list[str]:
    """Validated, de-duplicated, sorted audiences; the district centre is included unless the
    event is restricted (corrections check-ins go to justice officers only)."""
    if isinstance(audiences, str):
        raise InvalidInput("audiences must be a list of names, not one string", field="audiences")
    names = {validate(name) for name in audiences}
    if include_district:
        names.add(DISTRICT)
    return sorted(names)


def group_name(audience: str) -> str:
    return GROUP_PREFIX + audience


def town(code: str) -> str:
    return f"town.{code}"


def dept(code: str) -> str:
    return f"dept.{code}"


def grid(code: str) -> str:
    return f"grid.{code}"


def user(user_id: int) -> str:
    return f"user.{user_id}"


def hall(code: str) -> str:
    return f"hall.{code}"
