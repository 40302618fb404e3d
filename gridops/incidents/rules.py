"""Business rules of dispatch as plain data and plain functions (tested on their own).

- who may move an incident from which status to which (`TRANSITIONS`, a table, not `if` chains);
- which routing rule wins for a place (`choose_rule`: most specific zone first).
Deadlines, breaches and escalation levels are the SLA clocks' (`sla.py`).
Nothing here touches the request; services call these and do the writes.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import pgettext_lazy

from gridops.accounts.models import Role

from .models import OPEN_STATUSES, Status

OPERATORS = frozenset({Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR})
HANDLERS = frozenset({Role.DEPARTMENT_HANDLER})
VERIFIERS = OPERATORS | {Role.GRID_WORKER}
# 网格员就地处置: a grid worker may take on and finish a dispatched task in their own micro-grids
# (visibility limits them to those) as well as the department it was dispatched to.
DISPOSERS = HANDLERS | {Role.GRID_WORKER}

# People on the spot report wherever they are; staff recording a call or a sensor alarm record it
# only inside their jurisdiction (`core.authz.require_in_jurisdiction`).
REPORT_ANYWHERE = frozenset({Role.CITIZEN, Role.GRID_WORKER})

# The capacity of whoever filed a report: they may withdraw it before it is registered. It is not
# a role: a citizen acts on an incident only in this capacity, and only on their own report.
REPORTER = "reporter"

# (from, to) → capacities allowed to make that move: a role acting within its remit (see
# `selectors.acting_capacities`), or the reporter. Visibility (selectors) is checked first, and
# seeing is not acting: a report followed as its co-reporter (a merged duplicate), or filed by a
# grid worker outside their micro-grids, gives its follower no move at all.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.REPORTED, Status.REGISTERED): OPERATORS,                      # 立案
    (Status.REPORTED, Status.VOID): OPERATORS | {REPORTER},               # 作废 / reporter withdraws
    (Status.REGISTERED, Status.DISPATCHED): OPERATORS,                    # 派遣
    (Status.REGISTERED, Status.VOID): OPERATORS,
    (Status.DISPATCHED, Status.DISPATCHED): OPERATORS,                    # re-dispatch elsewhere
    (Status.DISPATCHED, Status.IN_PROGRESS): DISPOSERS,                   # 处置: the department or grid worker accepts
    (Status.DISPATCHED, Status.RETURNED): HANDLERS,                       # 退回: not ours
    (Status.IN_PROGRESS, Status.RESOLVED): DISPOSERS,                     # 办结
    (Status.IN_PROGRESS, Status.RETURNED): HANDLERS,
    (Status.RETURNED, Status.DISPATCHED): OPERATORS,                      # re-dispatch
    (Status.RETURNED, Status.VOID): OPERATORS,
    (Status.RESOLVED, Status.VERIFIED): VERIFIERS,                        # 核查 passed
    (Status.RESOLVED, Status.IN_PROGRESS): VERIFIERS,                     # 核查 failed: back to work
    (Status.VERIFIED, Status.CLOSED): OPERATORS,                          # 结案
}

# The timestamp an incident gets when it enters a status (KPIs read these).
STATUS_TIMESTAMP: dict[str, str] = {
    Status.REGISTERED: "registered_at",
    Status.DISPATCHED: "dispatched_at",
    Status.IN_PROGRESS: "accepted_at",
    Status.RESOLVED: "resolved_at",
    Status.VERIFIED: "verified_at",
    Status.CLOSED: "closed_at",
}

# Statuses that need a department to be set on entry.
NEEDS_DEPARTMENT = frozenset({Status.DISPATCHED})


def _held(capacities: str | Iterable[str] | None) -> frozenset[str]:
    """One role (acting within its remit) or the set of capacities a user holds on an incident."""
    if capacities is None:
        return frozenset()
    return frozenset({capacities}) if isinstance(capacities, str) else frozenset(capacities)


def allowed_targets(capacities: str | Iterable[str] | None, status: str) -> list[str]:
    """Statuses the holder of `capacities` may move an incident in `status` to (the UI's buttons)."""
    held = _held(capacities)
    return [to for (frm, to), allowed in TRANSITIONS.items() if frm == status and held & allowed]


def may_transition(capacities: str | Iterable[str] | None, from_status: str, to_status: str) -> bool:
    return bool(_held(capacities) & TRANSITIONS.get((from_status, to_status), frozenset()))


def is_known_move(from_status: str, to_status: str) -> bool:
    return (from_status, to_status) in TRANSITIONS


# What each move is called on a button: by the move, not by its target status (sending a
# resolved incident back to work is not "accept"). Clients read these through the API.
TRANSITION_LABELS: dict[tuple[str, str], str] = {
    (Status.REPORTED, Status.REGISTERED): pgettext_lazy("incident action", "Register"),
    (Status.REPORTED, Status.VOID): pgettext_lazy("incident action", "Void"),
    (Status.REGISTERED, Status.DISPATCHED): pgettext_lazy("incident action", "Dispatch"),
    (Status.REGISTERED, Status.VOID): pgettext_lazy("incident action", "Void"),
    (Status.DISPATCHED, Status.DISPATCHED): pgettext_lazy("incident action", "Re-dispatch"),
    (Status.DISPATCHED, Status.IN_PROGRESS): pgettext_lazy("incident action", "Accept"),
    (Status.DISPATCHED, Status.RETURNED): pgettext_lazy("incident action", "Return: not ours"),
    (Status.IN_PROGRESS, Status.RESOLVED): pgettext_lazy("incident action", "Resolve"),
    (Status.IN_PROGRESS, Status.RETURNED): pgettext_lazy("incident action", "Return"),
    (Status.RETURNED, Status.DISPATCHED): pgettext_lazy("incident action", "Dispatch again"),
    (Status.RETURNED, Status.VOID): pgettext_lazy("incident action", "Void"),
    (Status.RESOLVED, Status.VERIFIED): pgettext_lazy("incident action", "Check passed"),
    (Status.RESOLVED, Status.IN_PROGRESS): pgettext_lazy("incident action", "Check failed: back to work"),
    (Status.VERIFIED, Status.CLOSED): pgettext_lazy("incident action", "Close the case"),
}


def transition_table() -> list[dict]:
    """The lifecycle as data for clients (meta API, console): each move, who may make it, its
    label in the active language and whether it asks for a department."""
    return [{"from": str(frm), "to": str(to), "roles": sorted(roles), "label": str(TRANSITION_LABELS[(frm, to)]),
             "needs_department": to in NEEDS_DEPARTMENT}
            for (frm, to), roles in TRANSITIONS.items()]


# Merging a duplicate into its original: command-centre operators, while the duplicate is open.
MERGERS = OPERATORS


def may_merge(capacities: str | Iterable[str] | None, status: str) -> bool:
    return bool(_held(capacities) & MERGERS) and status in OPEN_STATUSES


# --- routing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleCandidate:
    """A routing rule seen by `choose_rule`: only what the decision needs."""

    rule_id: int
    zone_level: int
    zone_code: str
    zone_name: str
    by_event_type: bool
    department_id: int
    department_name: str


@dataclass
class RoutingDecision:
    department: object | None
    command_centres: list = field(default_factory=list)
    rule: object | None = None
    reason: str = ""
    needs_human: str = ""  # why a person must confirm before dispatch ("" = may dispatch automatically)

    @property
    def unambiguous(self) -> bool:
        return self.department is not None and not self.needs_human


LEVEL_NAMES = {0: "区", 1: "镇街", 2: "片区", 3: "村居", 4: "微网格"}


def choose_rule(candidates: list[RuleCandidate]) -> RuleCandidate | None:
    """The most specific rule: deepest zone (grid > village > area > town > district), then a
    rule naming the event type over one naming its category."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.zone_level, c.by_event_type, -c.rule_id))


def rule_reason(candidate: RuleCandidate, event_type_name: str) -> str:
    subject = f"事件类型“{event_type_name}”" if candidate.by_event_type else "所属大类"
    level = LEVEL_NAMES.get(candidate.zone_level, "")
    return f"{level}“{candidate.zone_name}”({candidate.zone_code})的{subject}规则指定{candidate.department_name}"


def default_reason(event_type_name: str, department_name: str) -> str:
    return f"事件类型“{event_type_name}”的默认责任部门为{department_name}"
