"""The hall's queue: walk-in tickets, bookings, counters calling the next applicant, clerks' halls."""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import authz
from gridops.core.errors import Conflict, InvalidInput, NotFound

from .. import conf, rules, selectors
from ..models import Applicant, Case, CaseState, ClerkAssignment, Counter, Hall, Item, Ticket, TicketChannel, TicketStatus


def hall_audiences(hall: Hall) -> list[str]:
    """The hall screen, the operators of its town, and the public map (ticket numbers only)."""
    audiences = [f"hall.{hall.code}", "public"]
    town_code = hall.zone.code[:9]
    if len(town_code) == 9:
        audiences.append(f"town.{town_code}")
    return audiences


def publish_hall_queue(hall: Hall, *, now: datetime | None = None) -> None:
    from gridops.realtime.services import publish_event

    publish_event(kind="hall.queue", payload=selectors.hall_queue(hall, now=now), audiences=hall_audiences(hall))


def _next_number(hall: Hall, day, prefix: str) -> str:
    """A001, A002, ... per hall and day; the caller holds the hall row lock."""
    last = (
        Ticket.objects.filter(hall=hall, day=day, number__startswith=prefix).order_by("-number")
        .values_list("number", flat=True).first()
    )
    sequence = int(last[1:]) + 1 if last else 1
    return f"{prefix}{sequence:03d}"


def _locked_hall(hall: Hall) -> Hall:
    return Hall.objects.select_for_update().select_related("zone").get(pk=hall.pk)


@transaction.atomic
def ticket_issue(*, hall: Hall, item: Item, applicant: Applicant | None = None, now: datetime | None = None) -> Ticket:
    """A walk-in ticket (取号) for any item at any hall: counters are not per department."""
    now = now or timezone.now()
    hall = _locked_hall(hall)
    if not hall.is_active:
        raise Conflict("this hall is closed", field="hall")
    day = timezone.localdate(now)
    ticket = Ticket.objects.create(
        hall=hall, day=day, number=_next_number(hall, day, "A"), channel=TicketChannel.WALK_IN,
        status=TicketStatus.WAITING, item=item, applicant=applicant, issued_at=now,
    )
    publish_hall_queue(hall, now=now)
    return ticket


@transaction.atomic
def booking_create(*, hall: Hall, item: Item, applicant: Applicant, slot_start: datetime,
                   now: datetime | None = None) -> Ticket:
    """Book a slot (预约): inside opening hours, in the coming days, within the slot's capacity."""
    now = now or timezone.now()
    hall = _locked_hall(hall)
    minutes = conf.slot_minutes()
    local = timezone.localtime(slot_start)
    if local.minute % minutes or local.second or local.microsecond:
        raise InvalidInput(f"slots start every {minutes} minutes", field="slot_start")
    if slot_start <= now or slot_start > now + timedelta(days=conf.booking_days_ahead()):
        raise InvalidInput(f"book a slot within the next {conf.booking_days_ahead()} days", field="slot_start")
    if not rules.is_open_at(hall.opening_hours, local):
        raise InvalidInput("the hall is closed at that time", field="slot_start")
    capacity = Counter.objects.filter(hall=hall, is_open=True).count() * conf.bookings_per_counter_slot()
    taken = Ticket.objects.filter(hall=hall, slot_start=slot_start).exclude(status=TicketStatus.CANCELLED).count()
    if taken >= capacity:
        raise Conflict("this slot is fully booked", field="slot_start", code="slot_full")
    if Ticket.objects.filter(applicant=applicant, hall=hall, day=local.date(), status=TicketStatus.BOOKED).exists():
        raise Conflict("the applicant already has a booking at this hall that day", field="slot_start")
    return Ticket.objects.create(
        hall=hall, day=local.date(), number=_next_number(hall, local.date(), "Y"), channel=TicketChannel.BOOKED,
        status=TicketStatus.BOOKED, item=item, applicant=applicant, slot_start=slot_start, issued_at=now,
    )


@transaction.atomic
def booking_check_in(*, actor, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """The booked applicant arrives: the ticket joins the queue (ahead of walk-ins once its slot starts).

    Checked in by the applicant themselves or by a clerk at the ticket's hall (`core.authz`)."""
    now = now or timezone.now()
    selectors.require_authenticated(actor)
    ticket = Ticket.objects.select_for_update().select_related("hall__zone").get(pk=ticket.pk)
    authz.require_may_act(actor, ticket)
    if ticket.status != TicketStatus.BOOKED:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}, not booked", field="ticket")
    if ticket.day != timezone.localdate(now):
        raise Conflict("a booking is checked in on its day", field="ticket")
    ticket.status = TicketStatus.WAITING
    ticket.checked_in_at = now
    ticket.save(update_fields=["status", "checked_in_at"])
    publish_hall_queue(ticket.hall, now=now)
    return ticket


@transaction.atomic
def ticket_call_next(*, counter: Counter, clerk, now: datetime | None = None) -> Ticket:
    """Call the next waiting ticket of the hall, for whatever item, to this counter.

    Two counters calling at once never get the same ticket: the candidate row is taken with
    FOR UPDATE SKIP LOCKED, so the second caller skips the row the first one holds.
    """
    now = now or timezone.now()
    counter = Counter.objects.select_for_update().select_related("hall__zone").get(pk=counter.pk)
    selectors.require_clerk_at(clerk, counter.hall)
    authz.require_may_act(clerk, counter)
    if not counter.is_open:
        raise Conflict(f"counter {counter.number} is closed", field="counter")
    if Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED).exists():
        raise Conflict(f"counter {counter.number} is still serving a ticket", field="counter", code="counter_busy")
    ticket = (
        selectors.waiting_tickets(counter.hall, now=now)
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )
    if ticket is None:
        raise NotFound("nobody is waiting", code="queue_empty")
    queued = ticket.checked_in_at or ticket.issued_at
    if ticket.slot_start and ticket.slot_start > queued:
        queued = min(ticket.slot_start, now)
    ticket.status = TicketStatus.CALLED
    ticket.counter = counter
    ticket.clerk = clerk
    ticket.called_at = now
    ticket.wait_seconds = max(0, int((now - queued).total_seconds()))
    try:
        with transaction.atomic():
            ticket.save(update_fields=["status", "counter", "clerk", "called_at", "wait_seconds"])
    except IntegrityError:
        raise Conflict(f"counter {counter.number} is still serving a ticket", field="counter", code="counter_busy") from None
    publish_hall_queue(counter.hall, now=now)
    return ticket


def ticket_for_clerk(ticket: Ticket, clerk) -> Ticket:
    """The called ticket, locked, if `clerk` serves at its hall (finishing it, or accepting a case at it)."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("hall__zone", "counter").get(pk=ticket.pk)
    selectors.require_clerk_at(clerk, ticket.hall)
    authz.require_may_act(clerk, ticket)
    if ticket.status != TicketStatus.CALLED:
        raise Conflict(f"ticket {ticket.number} is {ticket.status}, not at a counter", field="ticket")
    return ticket


@transaction.atomic
def ticket_finish(*, ticket: Ticket, clerk, now: datetime | None = None) -> Ticket:
    """The applicant leaves the counter: record handling time on the ticket and its cases.

    A case approved while the ticket was open was done on the spot (即办).
    """
    now = now or timezone.now()
    ticket = ticket_for_clerk(ticket, clerk)
    ticket.status = TicketStatus.DONE
    ticket.finished_at = now
    ticket.handling_seconds = max(0, int((now - ticket.called_at).total_seconds()))
    ticket.save(update_fields=["status", "finished_at", "handling_seconds"])
    for case in Case.objects.filter(ticket=ticket):
        case.wait_seconds = ticket.wait_seconds
        case.handling_seconds = ticket.handling_seconds
        case.on_the_spot = case.decided_at is not None and case.state in (CaseState.APPROVED, CaseState.DELIVERED)
        case.save(update_fields=["wait_seconds", "handling_seconds", "on_the_spot"])
    publish_hall_queue(ticket.hall, now=now)
    return ticket


@transaction.atomic
def ticket_no_show(*, ticket: Ticket, clerk, now: datetime | None = None) -> Ticket:
    """过号: the called applicant did not come; the counter is free again."""
    now = now or timezone.now()
    ticket = ticket_for_clerk(ticket, clerk)
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    publish_hall_queue(ticket.hall, now=now)
    return ticket


def clerk_assign(*, user, hall: Hall) -> None:
    """Put a clerk at a hall (ending any earlier assignment)."""
    if role_of(user) != Role.COUNTER_CLERK:
        raise InvalidInput("only counter clerks are assigned to halls", field="user")
    with transaction.atomic():
        ClerkAssignment.objects.filter(user=user, is_active=True).exclude(hall=hall).update(is_active=False)
        ClerkAssignment.objects.get_or_create(user=user, hall=hall, is_active=True)
