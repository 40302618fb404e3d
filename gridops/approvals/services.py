"""Writes of the approvals app: tickets, counters, cases, documents and ratings.

Every write that changes a hall's queue publishes `hall.queue` from the same transaction (the
realtime app pushes it after commit), so a rolled-back call never reaches a screen.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import authz, uploads
from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.core.services import audit_record

from . import conf, rules, selectors
from .models import (
    Applicant, ApplicantDocument, Case, CaseChannel, CaseDocument, CaseEvent, CaseState,
    Counter, DeliveryMethod, DocumentType, Hall, Item, Rating, Ticket, TicketChannel, TicketStatus,
)

# --- Realtime -------------------------------------------------------------------------------


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


def _publish_case(case: Case) -> None:
    """Reviewers of the department and the applicant follow a case; no personal data is sent."""
    from gridops.realtime.services import publish_event

    audiences = [f"dept.{case.department.code}"]
    if case.applicant.user_id:
        audiences.append(f"user.{case.applicant.user_id}")
    payload = {"number": case.number, "state": case.state, "item": case.item.code,
               "department": case.department.code, "due_date": case.due_date}
    publish_event(kind="approvals.case", payload=payload, audiences=audiences)


# --- Documents (who an applicant is: identity.py) -------------------------------------------


def document_store(*, applicant: Applicant, document_type: DocumentType, upload, field: str = "file") -> ApplicantDocument:
    """Check an upload by decoding it (`core.uploads`: images re-encoded, PDFs checked), and keep
    it once: the same file handed in again for the same type returns the stored document."""
    checked = uploads.check_upload(upload, limit=conf.max_upload_bytes(), allowed=conf.allowed_content_types(),
                                   field=field)
    sha = checked.sha256
    existing = ApplicantDocument.objects.filter(applicant=applicant, document_type=document_type, sha256=sha).first()
    if existing is not None:
        return existing
    doc = ApplicantDocument(applicant=applicant, document_type=document_type, content_type=checked.content_type,
                            size=checked.size, sha256=sha, original_name=(getattr(upload, "name", "") or "")[-128:])
    doc.file.save("x", ContentFile(checked.data), save=False)
    doc.save()
    return doc


def _collect_documents(*, applicant: Applicant, item: Item, uploads: dict, reuse: Iterable[int],
                       require_complete: bool = True) -> list[tuple[ApplicantDocument, bool]]:
    """The documents of a new case: uploads plus reused earlier ones; 400 naming what is missing."""
    needs = {need.document_type.code: need for need in item.item_documents.select_related("document_type")}
    chosen: dict[str, tuple[ApplicantDocument, bool]] = {}
    reuse_ids = [int(pk) for pk in reuse]
    if reuse_ids:
        docs = ApplicantDocument.objects.filter(pk__in=reuse_ids).select_related("document_type")
        found = {doc.pk: doc for doc in docs}
        for pk in reuse_ids:
            doc = found.get(pk)
            if doc is None or doc.applicant_id != applicant.pk:
                raise InvalidInput(f"document {pk} is not one of the applicant's", field="reuse")
            chosen[doc.document_type.code] = (doc, True)
    for code, upload in uploads.items():
        need = needs.get(code)
        if need is None:
            raise InvalidInput(f"{item.name} does not ask for document {code}", field=f"documents.{code}")
        doc = document_store(applicant=applicant, document_type=need.document_type, upload=upload,
                             field=f"documents.{code}")
        chosen[code] = (doc, False)
    if require_complete:
        missing = sorted(code for code, need in needs.items() if need.required and code not in chosen)
        if missing:
            raise InvalidInput(f"missing documents: {', '.join(missing)}", field=f"documents.{missing[0]}",
                               extra={"missing": missing})
    return list(chosen.values())


def _attach(case: Case, documents: list[tuple[ApplicantDocument, bool]]) -> None:
    CaseDocument.objects.bulk_create(
        [CaseDocument(case=case, document=doc, reused=reused) for doc, reused in documents], ignore_conflicts=True
    )


# --- Tickets and counters -------------------------------------------------------------------


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


def _ticket_for_clerk(ticket: Ticket, clerk) -> Ticket:
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
    ticket = _ticket_for_clerk(ticket, clerk)
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
    ticket = _ticket_for_clerk(ticket, clerk)
    ticket.status = TicketStatus.NO_SHOW
    ticket.finished_at = now
    ticket.save(update_fields=["status", "finished_at"])
    publish_hall_queue(ticket.hall, now=now)
    return ticket


# --- Cases ----------------------------------------------------------------------------------


def _case_number(prefix: str, now: datetime) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('approvals_case_number_seq')")
        (sequence,) = cur.fetchone()
    return f"{prefix}{timezone.localtime(now):%Y%m%d}{sequence:07d}"


def _log(case: Case, *, from_state: str, actor, hall: Hall | None, now: datetime, note: str = "") -> None:
    CaseEvent.objects.create(case=case, from_state=from_state, to_state=case.state, actor=actor, hall=hall,
                             note=note[:500], at=now)


def _set_accepted(case: Case, now: datetime) -> None:
    case.accepted_at = now
    case.due_date = rules.add_working_days(timezone.localdate(now), case.item.legal_limit_days)


@transaction.atomic
def case_accept_at_counter(*, clerk, ticket: Ticket, applicant: Applicant, item: Item | None = None,
                           uploads: dict | None = None, reuse: Iterable[int] = (), now: datetime | None = None) -> Case:
    """受理 at the counter serving the ticket; the case belongs to the item's department for review."""
    now = now or timezone.now()
    ticket = _ticket_for_clerk(ticket, clerk)
    if ticket.counter is None:
        raise Conflict("the ticket is not at a counter", field="ticket")
    item = item or ticket.item
    documents = _collect_documents(applicant=applicant, item=item, uploads=uploads or {}, reuse=reuse)
    case = Case(
        number=_case_number("C", now), applicant=applicant, item=item, department_id=item.department_id,
        channel=CaseChannel.COUNTER, state=CaseState.ACCEPTED, accepted_hall=ticket.hall, ticket=ticket,
        accepted_by=clerk, submitted_at=now,
    )
    _set_accepted(case, now)
    case.save()
    _attach(case, documents)
    if ticket.applicant_id is None:
        Ticket.objects.filter(pk=ticket.pk).update(applicant=applicant)
    _log(case, from_state="", actor=clerk, hall=ticket.hall, now=now)
    _publish_case(case)
    return case


@transaction.atomic
def case_submit_online(*, user, applicant: Applicant, item: Item, uploads: dict | None = None,
                       reuse: Iterable[int] = (), delivery_method: str = DeliveryMethod.COURIER,
                       delivery_address: str = "", now: datetime | None = None) -> Case:
    """零跑腿: the applicant applies from the web; the department accepts it in the back office."""
    now = now or timezone.now()
    selectors.require_authenticated(user)
    if applicant.user_id != user.id:
        raise Forbidden("apply only for your own identity", field="applicant")
    if not item.online:
        raise Conflict(f"{item.name} cannot be applied for online", field="item", code="not_online")
    _check_delivery(delivery_method, delivery_address)
    documents = _collect_documents(applicant=applicant, item=item, uploads=uploads or {}, reuse=reuse)
    case = Case.objects.create(
        number=_case_number("W", now), applicant=applicant, item=item, department_id=item.department_id,
        channel=CaseChannel.ONLINE, state=CaseState.SUBMITTED, submitted_at=now,
        delivery_method=delivery_method, delivery_address=delivery_address.strip(),
    )
    _attach(case, documents)
    _log(case, from_state="", actor=user, hall=None, now=now)
    _publish_case(case)
    return case


def _check_delivery(method: str, address: str) -> None:
    if method not in DeliveryMethod.values:
        raise InvalidInput(f"delivery is one of {', '.join(DeliveryMethod.values)}", field="delivery_method")
    if method == DeliveryMethod.COURIER and len((address or "").strip()) < 6:
        raise InvalidInput("a courier needs a full address", field="delivery_address")


def _may_act(actor, case: Case, action: str) -> Hall | None:
    """Who may take each action; returns the acting clerk's hall (None for reviewers/applicants).

    Reviewers of the item's department decide; the clerk serving the ticket may decide an
    on-the-spot item at once; any clerk hands a result out (全域通办); the applicant resubmits.
    """
    selectors.require_authenticated(actor)
    hall = selectors.clerk_hall(actor)
    reviewer = selectors.is_reviewer_for(actor, case)
    at_ticket = (
        hall is not None and case.ticket_id is not None and case.ticket.status == TicketStatus.CALLED
        and case.ticket.hall_id == hall.pk
    )
    allowed = {
        "accept": reviewer,
        "review": reviewer,
        "approve": reviewer or (at_ticket and case.item.on_the_spot),
        "refuse": reviewer or at_ticket,
        "return": reviewer or at_ticket,
        "resubmit": selectors.is_applicant_of(actor, case) or hall is not None,
        "deliver": reviewer or hall is not None,
    }[action]
    if not allowed:
        raise Forbidden(f"you may not {action} this case", field="action")
    return hall


@transaction.atomic
def case_transition(*, actor, case: Case, action: str, note: str = "", missing: Iterable[str] = (),
                    uploads: dict | None = None, reuse: Iterable[int] = (), delivery_method: str = "",
                    delivery_address: str = "", courier_tracking: str = "", now: datetime | None = None) -> Case:
    """Move a case along `rules.TRANSITIONS`, checking who may and recording times and the trail."""
    now = now or timezone.now()
    case = Case.objects.select_for_update(of=("self",)).select_related(
        "item", "department", "applicant", "ticket"
    ).get(pk=case.pk)
    authz.require_may_act(actor, case)  # the case as stored is theirs to act on; then the action's rule
    target = rules.next_state(case.state, action)
    hall = _may_act(actor, case, action)
    previous = case.state
    fields = ["state"]
    if action == "accept":
        _set_accepted(case, now)
        fields += ["accepted_at", "due_date"]
    elif action == "review":
        case.reviewer = actor
        fields.append("reviewer")
    elif action in ("approve", "refuse"):
        if action == "refuse" and not note.strip():
            raise InvalidInput("say why the application is refused", field="note")
        case.decided_at = now
        case.decision_note = note[:500]
        if selectors.is_reviewer_for(actor, case):
            case.reviewer = actor
        fields += ["decided_at", "decision_note", "reviewer"]
    elif action == "return":
        codes = sorted(set(missing))
        types = list(DocumentType.objects.filter(code__in=codes))
        if not codes or len(types) != len(codes):
            raise InvalidInput("name the missing documents by their codes", field="missing")
        case.missing_documents.set(types)
        case.decision_note = note[:500]
        fields.append("decision_note")
    elif action == "resubmit":
        documents = _collect_documents(applicant=case.applicant, item=case.item, uploads=uploads or {},
                                       reuse=reuse, require_complete=False)
        _attach(case, documents)
        given = {doc.document_type_id for doc, _ in documents}
        still = [t.code for t in case.missing_documents.all() if t.pk not in given]
        if still:
            raise InvalidInput(f"still missing: {', '.join(still)}", field=f"documents.{still[0]}",
                               extra={"missing": still})
        case.missing_documents.clear()
    elif action == "deliver":
        method = delivery_method or case.delivery_method or DeliveryMethod.PICKUP
        address = delivery_address or case.delivery_address
        _check_delivery(method, address)
        if method == DeliveryMethod.PICKUP and hall is None:
            raise Forbidden("a result is handed out by a counter clerk", field="delivery_method")
        if method == DeliveryMethod.COURIER and not courier_tracking.strip():
            raise InvalidInput("give the courier's tracking number", field="courier_tracking")
        case.delivery_method = method
        case.delivery_address = address if method == DeliveryMethod.COURIER else ""
        case.courier_tracking = courier_tracking.strip()[:40]
        case.delivered_at = now
        case.finished_hall = hall
        fields += ["delivery_method", "delivery_address", "courier_tracking", "delivered_at", "finished_hall"]
    case.state = target
    case.save(update_fields=fields)
    _log(case, from_state=previous, actor=actor, hall=hall, now=now, note=note)
    if action in ("approve", "refuse"):  # decisions go to the audit trail (no applicant data in it)
        audit_record(actor=actor, action=f"approvals.{action}", target=case, detail={"from": previous})
    _publish_case(case)
    return case


@transaction.atomic
def case_rate(*, user, case: Case, rating: str, comment: str = "", now: datetime | None = None) -> Case:
    """好差评: the applicant rates a decided case once; 不满意 needs a comment to act on."""
    now = now or timezone.now()
    case = Case.objects.select_for_update(of=("self",)).select_related("applicant").get(pk=case.pk)
    authz.require_may_act(user, case)
    if not selectors.is_applicant_of(user, case):
        raise Forbidden("only the applicant rates a case")
    if rating not in Rating.values:
        raise InvalidInput(f"rating is one of {', '.join(Rating.values)}", field="rating")
    if case.state not in rules.DECIDED_STATES:
        raise Conflict("a case is rated once it is decided", field="rating")
    if case.rating:
        raise Conflict("this case is already rated", field="rating", code="already_rated")
    if rating == Rating.UNSATISFIED and not comment.strip():
        raise InvalidInput("tell us what went wrong", field="comment")
    case.rating = rating
    case.rating_comment = comment.strip()[:500]
    case.rated_at = now
    case.save(update_fields=["rating", "rating_comment", "rated_at"])
    return case


def clerk_assign(*, user, hall: Hall) -> None:
    """Put a clerk at a hall (ending any earlier assignment)."""
    from .models import ClerkAssignment

    if role_of(user) != Role.COUNTER_CLERK:
        raise InvalidInput("only counter clerks are assigned to halls", field="user")
    with transaction.atomic():
        ClerkAssignment.objects.filter(user=user, is_active=True).exclude(hall=hall).update(is_active=False)
        ClerkAssignment.objects.get_or_create(user=user, hall=hall, is_active=True)
