"""The queue: tickets, bookings, calling to any counter (never twice), timings, live payloads."""
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from gridops.approvals import identity, selectors
from gridops.approvals.services import queue
from gridops.approvals.models import Counter, Ticket, TicketStatus
from gridops.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridops.realtime.models import Event

from . import factories as f

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2025, 9, 1, 9, 0, tzinfo=TZ)


def at(minutes: float) -> datetime:
    return MONDAY_9 + timedelta(minutes=minutes)


@pytest.mark.django_db
def test_numbers_restart_daily_and_per_hall(world):
    a = queue.ticket_issue(hall=world["town"], item=world["food"], now=at(0))
    b = queue.ticket_issue(hall=world["town"], item=world["residence"], now=at(1))
    c = queue.ticket_issue(hall=world["other"], item=world["food"], now=at(1))
    d = queue.ticket_issue(hall=world["town"], item=world["food"], now=at(24 * 60))
    assert [a.number, b.number, c.number, d.number] == ["A001", "A002", "A001", "A001"]


@pytest.mark.django_db
def test_call_finish_records_wait_and_handling(world):
    ticket = queue.ticket_issue(hall=world["town"], item=world["food"], now=at(0))
    counter = Counter.objects.get(hall=world["town"], number=2)
    called = queue.ticket_call_next(counter=counter, clerk=world["clerk"], now=at(6))
    assert called.pk == ticket.pk and called.wait_seconds == 360
    queue.ticket_issue(hall=world["town"], item=world["food"], now=at(6.5))
    with pytest.raises(Conflict):  # one ticket at a time per counter
        queue.ticket_call_next(counter=counter, clerk=world["clerk"], now=at(7))
    done = queue.ticket_finish(ticket=called, clerk=world["clerk"], now=at(14))
    assert done.status == TicketStatus.DONE and done.handling_seconds == 480


@pytest.mark.django_db
def test_clerks_act_only_at_their_hall(world):
    queue.ticket_issue(hall=world["town"], item=world["food"], now=at(0))
    counter = Counter.objects.get(hall=world["town"], number=1)
    for user in (world["other_clerk"], world["food_reviewer"], world["citizen"]):
        with pytest.raises(Forbidden):
            queue.ticket_call_next(counter=counter, clerk=user, now=at(1))


@pytest.mark.django_db
def test_empty_queue_and_no_show(world):
    counter = Counter.objects.get(hall=world["town"], number=1)
    with pytest.raises(NotFound):
        queue.ticket_call_next(counter=counter, clerk=world["clerk"], now=at(0))
    queue.ticket_issue(hall=world["town"], item=world["food"], now=at(0))
    called = queue.ticket_call_next(counter=counter, clerk=world["clerk"], now=at(1))
    assert queue.ticket_no_show(ticket=called, clerk=world["clerk"], now=at(3)).status == TicketStatus.NO_SHOW
    with pytest.raises(Conflict):
        queue.ticket_finish(ticket=called, clerk=world["clerk"], now=at(4))


@pytest.mark.django_db
def test_a_booking_whose_slot_has_come_goes_before_walk_ins(world):
    applicant = identity.applicant_record(id_number=f.person_id(7), name="预约人")
    walk_in = queue.ticket_issue(hall=world["town"], item=world["food"], now=at(0))
    booked = queue.booking_create(hall=world["town"], item=world["food"], applicant=applicant,
                                     slot_start=at(30), now=at(-60 * 24))
    assert booked.number == "Y001" and booked.status == TicketStatus.BOOKED
    queue.booking_check_in(actor=world["clerk"], ticket=booked, now=at(20))
    order = list(selectors.waiting_tickets(world["town"], now=at(25)).values_list("number", flat=True))
    assert order == ["A001", "Y001"]  # checked in early: the slot has not started
    order = list(selectors.waiting_tickets(world["town"], now=at(31)).values_list("number", flat=True))
    assert order == ["Y001", "A001"]
    called = queue.ticket_call_next(counter=Counter.objects.get(hall=world["town"], number=1),
                                       clerk=world["clerk"], now=at(35))
    assert called.pk == booked.pk and called.wait_seconds == 300  # waited from the slot, not from check-in
    assert walk_in.status == TicketStatus.WAITING


@pytest.mark.django_db
def test_booking_rules(world, settings):
    settings.GRIDOPS_APPROVALS_BOOKINGS_PER_COUNTER_SLOT = 1
    people = [identity.applicant_record(id_number=f.person_id(n), name=f"人{n}") for n in range(10, 15)]
    book = lambda person, slot: queue.booking_create(  # noqa: E731
        hall=world["town"], item=world["food"], applicant=person, slot_start=slot, now=at(-60))
    with pytest.raises(InvalidInput, match="every 30 minutes"):
        book(people[0], at(10))
    with pytest.raises(InvalidInput, match="closed"):
        book(people[0], at(180))  # 12:00, lunch break
    with pytest.raises(InvalidInput):
        book(people[0], at(-120))  # past
    for person in people[:3]:  # 3 open counters, one booking each
        book(person, at(60))
    with pytest.raises(Conflict, match="fully booked"):
        book(people[3], at(60))


@pytest.mark.django_db(transaction=True)
def test_two_counters_calling_at_once_never_get_the_same_ticket():
    """Each counter calls from its own connection; FOR UPDATE SKIP LOCKED hands out distinct tickets."""
    from gridops.accounts.models import Role

    zones = f.zone_tree()
    dept = f.department("gongan", "公安")
    item = f.item("gongan001", "居住证办理", dept, ["id_card"])
    hall = f.hall_at(zones["nanzhuang"], "H440604101", counters=4)
    clerks = [f.user_with(Role.COUNTER_CLERK, hall=hall) for _ in range(4)]
    for n in range(6):  # off the main thread: a browser test may have left an event loop running there
        f.off_loop(queue.ticket_issue, hall=hall, item=item, now=at(n))
    counters = list(Counter.objects.filter(hall=hall).order_by("number"))
    barrier = threading.Barrier(4)
    results, errors = [], []

    def call(counter, clerk):
        try:
            barrier.wait()
            results.append(queue.ticket_call_next(counter=counter, clerk=clerk, now=at(10)).number)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=pair) for pair in zip(counters, clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(results) == 4 and len(set(results)) == 4
    assert set(results) == {"A001", "A002", "A003", "A004"}
    assert Ticket.objects.filter(status=TicketStatus.CALLED).count() == 4
    connection.close()


@pytest.mark.django_db
def test_the_screen_payload_carries_no_personal_data(world):
    applicant = identity.applicant_record(id_number=f.person_id(8), name="隐私人", phone="13912345678")
    queue.ticket_issue(hall=world["town"], item=world["food"], applicant=applicant, now=at(0))
    event = Event.objects.filter(kind="hall.queue").last()
    assert set(event.audiences) >= {"hall.H440604101", "public", "town.440604101", "district"}
    text = str(event.payload)
    assert "隐私人" not in text and f.person_id(8) not in text and "13912345678" not in text
    assert event.payload["waiting"] == 1 and event.payload["next"] == ["A001"]
