"""Cases (办件): accepted at a counter or submitted online, moved along `rules.TRANSITIONS`, rated."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from gridops.core import authz
from gridops.core.errors import Conflict, Forbidden, InvalidInput
from gridops.core.services import audit_record

from .. import rules, selectors
from ..models import (
    Applicant, Case, CaseChannel, CaseEvent, CaseState, DeliveryMethod, DocumentType, Hall, Item, Rating, Ticket,
    TicketStatus,
)
from .documents import attach, collect_documents
from .queue import ticket_for_clerk


def _publish_case(case: Case) -> None:
    """Reviewers of the department and the applicant follow a case; no personal data is sent."""
    from gridops.realtime.services import publish_event

    audiences = [f"dept.{case.department.code}"]
    if case.applicant.user_id:
        audiences.append(f"user.{case.applicant.user_id}")
    payload = {"number": case.number, "state": case.state, "item": case.item.code,
               "department": case.department.code, "due_date": case.due_date}
    publish_event(kind="approvals.case", payload=payload, audiences=audiences)


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
    ticket = ticket_for_clerk(ticket, clerk)
    if ticket.counter is None:
        raise Conflict("the ticket is not at a counter", field="ticket")
    item = item or ticket.item
    documents = collect_documents(applicant=applicant, item=item, uploads=uploads or {}, reuse=reuse)
    case = Case(
        number=_case_number("C", now), applicant=applicant, item=item, department_id=item.department_id,
        channel=CaseChannel.COUNTER, state=CaseState.ACCEPTED, accepted_hall=ticket.hall, ticket=ticket,
        accepted_by=clerk, submitted_at=now,
    )
    _set_accepted(case, now)
    case.save()
    attach(case, documents)
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
    documents = collect_documents(applicant=applicant, item=item, uploads=uploads or {}, reuse=reuse)
    case = Case.objects.create(
        number=_case_number("W", now), applicant=applicant, item=item, department_id=item.department_id,
        channel=CaseChannel.ONLINE, state=CaseState.SUBMITTED, submitted_at=now,
        delivery_method=delivery_method, delivery_address=delivery_address.strip(),
    )
    attach(case, documents)
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
        documents = collect_documents(applicant=case.applicant, item=case.item, uploads=uploads or {},
                                       reuse=reuse, require_complete=False)
        attach(case, documents)
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
