"""Reads of the approvals app: who sees what, the live queue, offered documents (KPIs: `kpis.py`)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import profile_of, role_of
from gridops.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound

from . import rules
from .models import (
    Applicant, ApplicantDocument, Case, CaseState, ClerkAssignment, Counter, Hall, Item, Ticket, TicketStatus,
)

# --- Roles ----------------------------------------------------------------------------------


def clerk_hall(user) -> Hall | None:
    """The hall a counter clerk works at (None for anyone else)."""
    if role_of(user) != Role.COUNTER_CLERK:
        return None
    assignment = ClerkAssignment.objects.filter(user=user, is_active=True).select_related("hall").first()
    return assignment.hall if assignment else None


def require_authenticated(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("sign in first")


def require_clerk_at(user, hall: Hall | None = None) -> Hall:
    """The clerk's hall; 403 unless the user is a clerk (at `hall` when given)."""
    require_authenticated(user)
    own = clerk_hall(user)
    if own is None:
        raise Forbidden("only counter clerks act at a counter")
    if hall is not None and own.pk != hall.pk:
        raise Forbidden("clerks act only at their own hall", field="hall")
    return own


def reviewer_department_id(user) -> int | None:
    if role_of(user) != Role.REVIEWER:
        return None
    profile = profile_of(user)
    return profile.department_id if profile else None


def is_reviewer_for(user, case: Case) -> bool:
    dept = reviewer_department_id(user)
    return dept is not None and dept == case.department_id


def is_applicant_of(user, case: Case) -> bool:
    return user is not None and user.is_authenticated and case.applicant.user_id == user.id


def _ready_for_pickup() -> Q:
    return Q(state__in=[CaseState.APPROVED, CaseState.REFUSED], delivery_method__in=["", "pickup"])


def cases_visible_to(user) -> QuerySet:
    """Cases a user may see: applicants their own, reviewers their department's, clerks their
    hall's (plus every case waiting for pick-up: any hall hands results out, 全域通办),
    operators all of their jurisdiction (personal data masked, see `can_see_personal_data`)."""
    base = Case.objects.select_related("applicant", "item", "department", "accepted_hall", "finished_hall")
    if user is None or not user.is_authenticated:
        return base.none()
    role = role_of(user)
    own = Q(applicant__user=user)
    if role == Role.REVIEWER:
        dept = reviewer_department_id(user)
        return base.filter(own | Q(department_id=dept)) if dept else base.filter(own)
    if role == Role.COUNTER_CLERK:
        hall = clerk_hall(user)
        if hall is None:
            return base.filter(own)
        return base.filter(own | Q(accepted_hall=hall) | Q(finished_hall=hall) | _ready_for_pickup())
    if role == Role.DISTRICT_OPERATOR:
        return base
    if role == Role.TOWN_OPERATOR:
        profile = profile_of(user)
        if profile and profile.zone_id:
            return base.filter(own | Q(accepted_hall__zone__code__startswith=profile.zone.code))
    return base.filter(own)


def tickets_in_reach_of(user) -> QuerySet:
    """Tickets a user may act on (`gridops.core.authz` scope): their own, as the applicant, and a
    counter clerk's at their hall. What each may do with one (check in, call, finish) is the
    service's rule."""
    if user is None or not user.is_authenticated:
        return Ticket.objects.none()
    reach = Q(applicant__user=user)
    hall = clerk_hall(user)
    if hall is not None:
        reach |= Q(hall=hall)
    return Ticket.objects.filter(reach)


def counters_in_reach_of(user) -> QuerySet:
    """Counters a user may work (`gridops.core.authz` scope): a clerk's at their own hall."""
    hall = clerk_hall(user)
    return Counter.objects.filter(hall=hall) if hall is not None else Counter.objects.none()


def can_see_personal_data(user, case: Case) -> bool:
    """Only the applicant and the staff handling the case see names, numbers and phones."""
    if user is None or not user.is_authenticated:
        return False
    if is_applicant_of(user, case) or is_reviewer_for(user, case):
        return True
    hall = clerk_hall(user)
    if hall is None:
        return False
    if hall.pk in (case.accepted_hall_id, case.finished_hall_id):
        return True
    # The clerk delivering a result at another hall has to check the applicant's identity.
    return case.state in (CaseState.APPROVED, CaseState.REFUSED)


def case_for(user, number: str) -> Case:
    require_authenticated(user)
    case = cases_visible_to(user).filter(number=number).first()
    if case is None:
        raise NotFound(f"no case {number}", field="number")
    return case


# --- Catalogue and documents ----------------------------------------------------------------


def items_catalogue(*, department: str | None = None, online: bool | None = None, q: str | None = None) -> QuerySet:
    items = Item.objects.filter(is_active=True).select_related("department").prefetch_related(
        "item_documents__document_type"
    )
    if department:
        items = items.filter(department__code=department)
    if online is not None:
        items = items.filter(online=online)
    if q:
        items = items.filter(Q(name__icontains=q) | Q(code__iexact=q))
    return items


def item_by_code(code: str) -> Item:
    item = Item.objects.filter(code=code, is_active=True).select_related("department").first()
    if item is None:
        raise NotFound(f"no approval item {code}", field="item")
    return item


def hall_by_code(code: str) -> Hall:
    hall = Hall.objects.filter(code=code, is_active=True).select_related("zone").first()
    if hall is None:
        raise NotFound(f"no service hall {code}", field="hall")
    return hall


def applicant_by_number(id_number: str):
    """The applicant with this identity number, or None (a first-time applicant has nothing to offer)."""
    return Applicant.objects.filter(id_number=id_number).first()


def applicant_of_user(user):
    """The account's identity for its own applications: the latest one bound to it whose number
    passes its own check (an older record with a bad check digit is never offered again)."""
    if not user.is_authenticated:
        return None
    for applicant in Applicant.objects.filter(user=user).order_by("-id")[:20]:
        try:
            rules.normalise_id_number(applicant.kind, applicant.id_number)
        except InvalidInput:
            continue
        return applicant
    return None


def documents_offered(applicant, item: Item, *, today: date | None = None) -> list[dict]:
    """For each document the item needs: the applicant's latest still-valid one, if any (数据跑路).

    One query for the whole list; a document older than its type's `reuse_days` is not offered.
    """
    today = today or timezone.localdate()
    needs = list(item.item_documents.select_related("document_type").order_by("document_type__code"))
    latest: dict[int, ApplicantDocument] = {}
    if applicant is not None and applicant.pk:
        docs = (
            ApplicantDocument.objects.filter(applicant=applicant, document_type__in=[n.document_type_id for n in needs])
            .order_by("document_type_id", "-uploaded_at", "-id")
            .distinct("document_type_id")
        )
        latest = {doc.document_type_id: doc for doc in docs}
    offered = []
    for need in needs:
        doc = latest.get(need.document_type_id)
        if doc is not None and (today - timezone.localtime(doc.uploaded_at).date()).days > need.document_type.reuse_days:
            doc = None
        offered.append({"document_type": need.document_type, "required": need.required, "document": doc})
    return offered


# --- Queue ----------------------------------------------------------------------------------


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local day, as aware datetimes (the queue's day and the KPIs' periods)."""
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, start + timedelta(days=1)


def halls_today(halls: list[Hall], *, now: datetime | None = None) -> dict[int, dict]:
    """Live queue and today's figures of many halls in two grouped SQL queries."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    start, end = day_bounds(day)
    ids = [hall.pk for hall in halls]
    figures = {
        pk: {"waiting": 0, "serving": 0, "issued": 0, "served": 0, "median_wait_s": None,
             "median_handling_s": None, "cases": 0, "on_the_spot": 0, "open_counters": 0}
        for pk in ids
    }
    if not ids:
        return figures
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT hall_id,
                   count(*) FILTER (WHERE status = 'waiting'),
                   count(*) FILTER (WHERE status = 'called'),
                   count(*) FILTER (WHERE status <> 'booked' AND status <> 'cancelled'),
                   count(*) FILTER (WHERE status = 'done'),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_seconds),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY handling_seconds)
              FROM approvals_ticket WHERE hall_id = ANY(%s) AND day = %s GROUP BY hall_id
            """,
            [ids, day],
        )
        for hall_id, waiting, serving, issued, served, wait, handling in cur.fetchall():
            figures[hall_id].update(waiting=waiting, serving=serving, issued=issued, served=served,
                                    median_wait_s=wait, median_handling_s=handling)
        cur.execute(
            """
            SELECT accepted_hall_id, count(*), count(*) FILTER (WHERE on_the_spot)
              FROM approvals_case WHERE accepted_hall_id = ANY(%s) AND accepted_at >= %s AND accepted_at < %s
             GROUP BY accepted_hall_id
            """,
            [ids, start, end],
        )
        for hall_id, cases, spot in cur.fetchall():
            figures[hall_id].update(cases=cases, on_the_spot=spot)
        cur.execute(
            "SELECT hall_id, count(*) FROM approvals_counter WHERE hall_id = ANY(%s) AND is_open GROUP BY hall_id",
            [ids],
        )
        for hall_id, count in cur.fetchall():
            figures[hall_id]["open_counters"] = count
    return figures


def hall_queue(hall: Hall, *, now: datetime | None = None) -> dict:
    """What the hall screen shows: who is called where, who waits, and today's figures.

    Ticket numbers only: nothing personal, so the screen (and the public audience) may see it.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    tickets = Ticket.objects.filter(hall=hall, day=day)
    serving = [
        {"number": t.number, "counter": t.counter.number, "item": t.item.name, "called_at": t.called_at}
        for t in tickets.filter(status=TicketStatus.CALLED).select_related("counter", "item").order_by("-called_at")
    ]
    waiting = list(waiting_tickets(hall, now=now).values_list("number", flat=True)[:50])
    today = halls_today([hall], now=now)[hall.pk]
    return {
        "hall": hall.code,
        "name": hall.name,
        "waiting": today["waiting"],
        "serving": serving,
        "next": waiting[:10],
        "today": {key: today[key] for key in ("issued", "served", "median_wait_s", "median_handling_s", "cases",
                                              "on_the_spot", "open_counters")},
        "at": now.isoformat(),
    }


def waiting_tickets(hall: Hall, *, now: datetime | None = None) -> QuerySet:
    """The waiting tickets of a hall in calling order: bookings whose slot has come, then walk-ins.

    A booked applicant who checked in before the slot waits like anyone until the slot starts.
    """
    now = now or timezone.now()
    return (
        Ticket.objects.filter(hall=hall, day=timezone.localdate(now), status=TicketStatus.WAITING)
        .annotate(
            slot_due=DbCase(When(slot_start__lte=now, then=Value(True)), default=Value(False), output_field=BooleanField()),
            queued_at=Coalesce("checked_in_at", "issued_at"),
        )
        .order_by("-slot_due", "queued_at", "id")
    )


def counters_of(hall: Hall) -> QuerySet:
    return Counter.objects.filter(hall=hall).order_by("number")


def desk_counters(hall: Hall, *, now: datetime | None = None) -> list[dict]:
    """The hall's counters with the ticket each is serving today (the clerk's desk needs its id
    to finish it after a reload; the public queue shows numbers only)."""
    now = now or timezone.now()
    serving = {
        t.counter_id: {"id": t.pk, "number": t.number, "item_name": t.item.name}
        for t in Ticket.objects.filter(hall=hall, day=timezone.localdate(now), status=TicketStatus.CALLED)
        .select_related("item")
    }
    return [
        {"id": c.pk, "number": c.number, "label": c.label, "is_open": c.is_open, "serving": serving.get(c.pk)}
        for c in counters_of(hall)
    ]


def realtime_audiences(user) -> list[str]:
    """Realtime audiences a counter clerk hears: the halls they work at (`hall.<code>`).

    Plugged into the realtime consumer through GRIDOPS_REALTIME_AUDIENCE_PROVIDERS, so the hall
    screen and the clerk's console get `hall.queue` events without the public feed."""
    if user is None or not user.is_authenticated:
        return []
    codes = ClerkAssignment.objects.filter(user=user, is_active=True).values_list("hall__code", flat=True)
    return [f"hall.{code}" for code in codes]
