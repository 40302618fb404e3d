"""Demo step: catalogue, service network, the demo clerk's hall, a year of history, a live queue.

Idempotent: each part is skipped when it is already there, so a second `make run` is quick.
"""
from __future__ import annotations

import math

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridops.accounts.models import Department, Profile, Role
from gridops.core.demo import SEED_HANDLING_MINUTES
from gridops.ledger.demo import DEMO_ID_NUMBER

from . import identity
from .services import queue
from .catalogue import import_catalogue
from .history import HistoryRequest, generate_history, history_loaded
from .models import Applicant, ClerkAssignment, Hall, HallKind, Item, Ticket
from .network import load_service_network

DEMO_HISTORY_CASES = 20_000
# The seed's counter: 5–10 minutes a case (median at the range's geometric middle, ~90 % inside).
DEMO_HANDLING_MINUTES = math.sqrt(SEED_HANDLING_MINUTES[0] * SEED_HANDLING_MINUTES[1])
DEMO_HANDLING_SPREAD = 0.2
# The same fictitious (checksummed) resident ID the ledger demo attests for the demo citizen.
DEMO_CITIZEN_ID = DEMO_ID_NUMBER
DEMO_REVIEWER_DEPARTMENT = "shichang"


def _accounts(log) -> None:
    User = get_user_model()
    centre = Hall.objects.filter(kind=HallKind.DISTRICT_CENTRE).first()
    clerk = User.objects.filter(username="clerk", profile__role=Role.COUNTER_CLERK).first()
    if clerk and centre and not ClerkAssignment.objects.filter(user=clerk, is_active=True).exists():
        queue.clerk_assign(user=clerk, hall=centre)
        log(f"approvals: clerk works at {centre.name}")
    reviewer = Profile.objects.filter(user__username="reviewer", role=Role.REVIEWER, department__isnull=True).first()
    department = Department.objects.filter(code=DEMO_REVIEWER_DEPARTMENT).first()
    if reviewer and department:
        reviewer.department = department
        reviewer.save(update_fields=["department"])
        log(f"approvals: reviewer reviews {department.name}'s items")
    citizen = User.objects.filter(username="citizen").first()
    if citizen and not Applicant.objects.filter(id_number=DEMO_CITIZEN_ID, user=citizen).exists():
        _bind_demo_citizen(citizen, clerk, log)


def _bind_demo_citizen(citizen, clerk, log) -> None:
    """The demo citizen's identity is bound the way a real one is: through the ledger's attestation
    (made by the ledger demo step) or, without one, by the demo clerk's check at the counter."""
    from gridops.ledger.services.identity import identity_matches

    person = {"id_number": DEMO_CITIZEN_ID, "name": "张三", "phone": "13800000000"}
    if identity_matches(user=citizen, id_number=DEMO_CITIZEN_ID):
        identity.applicant_for_account(user=citizen, **person)
        log("approvals: the demo citizen's identity is bound through the ledger attestation")
    elif clerk and ClerkAssignment.objects.filter(user=clerk, is_active=True).exists():
        identity.identity_verify_at_counter(clerk=clerk, account=citizen, **person)
        log("approvals: the demo citizen's identity is verified by the demo clerk")


def _live_queue(log) -> None:
    """A few waiting tickets at each centre today, so the hall screens and the map have a queue."""
    today = timezone.localdate()
    items = list(Item.objects.filter(is_active=True).order_by("code")[:40])
    centres = Hall.objects.exclude(kind=HallKind.VILLAGE_STATION).select_related("zone")
    if not items or Ticket.objects.filter(day=today).exists():
        return
    for index, hall in enumerate(centres):
        for n in range(4 + index):
            queue.ticket_issue(hall=hall, item=items[(index * 7 + n * 3) % len(items)])
    log(f"approvals: live queues at {centres.count()} centres")


def demo_history_request(**overrides) -> HistoryRequest:
    """The demo's year of cases: the seed's satisfaction (the generator's default) and handling."""
    return HistoryRequest(**{"cases": DEMO_HISTORY_CASES, "years": 1.0, "median_handling_minutes": DEMO_HANDLING_MINUTES,
                             "handling_spread": DEMO_HANDLING_SPREAD, **overrides})


def load_demo_approvals(log) -> None:
    if not Item.objects.exists():
        report = import_catalogue(commit=True, log=lambda line: None)
        log(f"approvals: {report.summary('catalogue')}")
        if not report.ok:
            log("approvals: catalogue skipped (first problem: %s)" % report.problems[0])
    if not Hall.objects.exists():
        report = load_service_network(commit=True, log=log)
        log(f"approvals: {report.summary('service network')}")
    _accounts(log)
    if Item.objects.exists() and Hall.objects.exists():
        if not history_loaded():
            generate_history(demo_history_request(), log=log, only_if_empty=True)
        _live_queue(log)
