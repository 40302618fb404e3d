"""Business rules of approvals as plain functions: no database, each tested on its own."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta

from gridops.core import resident_id
from gridops.core.errors import Conflict, InvalidInput

from . import conf

# --- Working days ---------------------------------------------------------------------------


def is_working_day(day: date, calendar: dict | None = None) -> bool:
    """Weekdays are working days unless a statutory holiday; some weekends are worked (调休)."""
    calendar = calendar or conf.holidays()
    iso = day.isoformat()
    if iso in calendar.get("work", ()):
        return True
    if iso in calendar.get("off", ()):
        return False
    return day.weekday() < 5


def add_working_days(start: date, days: int, calendar: dict | None = None) -> date:
    """The date `days` working days after `start` (the day of acceptance does not count).

    A limit of 0 working days (即办件) is due the same day.
    """
    if days < 0:
        raise InvalidInput("a time limit cannot be negative", field="days")
    calendar = calendar or conf.holidays()
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current, calendar):
            remaining -= 1
    return current


def working_days_between(start: date, end: date, calendar: dict | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    calendar = calendar or conf.holidays()
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current, calendar)
    return count


# --- Case states ----------------------------------------------------------------------------

# action -> (states it may start from, state it leads to). A plain table, not a chain of ifs.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"submitted"}), "accepted"),
    "review": (frozenset({"accepted"}), "review"),
    "approve": (frozenset({"accepted", "review"}), "approved"),
    "refuse": (frozenset({"submitted", "accepted", "review"}), "refused"),
    "return": (frozenset({"submitted", "accepted", "review"}), "returned"),
    "resubmit": (frozenset({"returned"}), "review"),
    "deliver": (frozenset({"approved", "refused"}), "delivered"),
}
FINAL_STATES = frozenset({"delivered"})
DECIDED_STATES = frozenset({"approved", "refused", "delivered"})


def next_state(state: str, action: str) -> str:
    """The state an action leads to from `state`; a 409 naming both when it is not allowed."""
    if action not in TRANSITIONS:
        raise InvalidInput(f"unknown action {action!r}; use one of {', '.join(TRANSITIONS)}", field="action")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise Conflict(f"cannot {action} a case in state {state}", field="action", code="invalid_transition")
    return target


def actions_from(state: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]


# --- Satisfaction ---------------------------------------------------------------------------


def satisfaction_rate(satisfied: int, basic: int, unsatisfied: int) -> float | None:
    """满意率 as the district reports it: (满意 + 基本满意) / 参评件数.

    Only rated cases count (an unrated case is neither good nor bad); None when none is rated.
    This is the 政务服务“好差评” convention where 基本满意 counts as a satisfied evaluation.
    """
    rated = satisfied + basic + unsatisfied
    if rated == 0:
        return None
    return (satisfied + basic) / rated


# SQL form of the same formula, for the KPI queries (kept next to the Python one).
SATISFACTION_RATE_SQL = (
    "(count(*) FILTER (WHERE {t}.rating IN ('satisfied', 'basic')))::float"
    " / NULLIF(count(*) FILTER (WHERE {t}.rating <> ''), 0)"
)


# --- Personal data --------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三丰 -> 张**; company names keep their first two characters."""
    if not name:
        return name
    keep = 2 if len(name) > 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters (region and check digits say little)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# --- Opening hours --------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(opening_hours: dict) -> dict[str, list[tuple[time, time]]]:
    """Validate {"mon": [["09:00", "12:00"], ...]} into time pairs; a 400 naming the day."""
    parsed: dict[str, list[tuple[time, time]]] = {}
    for day, spans in (opening_hours or {}).items():
        if day not in WEEKDAYS:
            raise InvalidInput(f"unknown weekday {day!r}", field="opening_hours")
        pairs = []
        for span in spans:
            try:
                start, end = (time.fromisoformat(part) for part in span)
            except (TypeError, ValueError):
                raise InvalidInput(f"bad opening hours on {day}: {span!r}", field="opening_hours") from None
            if start >= end:
                raise InvalidInput(f"opening hours on {day} end before they start", field="opening_hours")
            pairs.append((start, end))
        parsed[day] = pairs
    return parsed


def is_open_at(opening_hours: dict, moment: datetime, calendar: dict | None = None) -> bool:
    """Open at this local time? Halls follow the working-day calendar unless open on weekends."""
    day_key = WEEKDAYS[moment.weekday()]
    spans = parse_hours(opening_hours).get(day_key, [])
    calendar = calendar or conf.holidays()
    if moment.date().isoformat() in calendar.get("off", ()):
        return False
    if moment.date().isoformat() in calendar.get("work", ()) and not spans:
        spans = parse_hours(opening_hours).get("mon", [])
    clock = moment.time()
    return any(start <= clock < end for start, end in spans)


# --- Applicant identity ---------------------------------------------------------------------

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(code: str) -> bool:
    """GB 32100: 统一社会信用代码, 18 characters with a MOD 31 check character."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code.upper()):
        return False
    total = sum(_USCC_CHARS.index(ch) * weight for ch, weight in zip(code.upper()[:17], _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31] == code.upper()[17]


def normalise_id_number(kind: str, number: str) -> str:
    """The canonical identity number of an applicant, or a 400 on `id_number`."""
    text = resident_id.normalise(number)
    valid = resident_id.resident_id_valid(text) if kind == "person" else uscc_valid(text)
    if not valid:
        raise InvalidInput("the identity number is not valid", field="id_number")
    return text


def same_name(recorded: str, given: str) -> bool:
    """Whether a typed name is the recorded one: width (NFKC), case and spaces do not count."""
    def canonical(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text or "").casefold().split())

    return bool(canonical(given)) and canonical(recorded) == canonical(given)


def uscc_with_check(first17: str) -> str:
    total = sum(_USCC_CHARS.index(ch) * weight for ch, weight in zip(first17, _USCC_WEIGHTS))
    return first17 + _USCC_CHARS[(31 - total % 31) % 31]
