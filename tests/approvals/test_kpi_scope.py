"""Issue 11 finding 10: approvals KPIs are scoped by the viewer's jurisdiction — a town operator
sees only their town's halls (before, every hall of the district)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.approvals import identity
from gridops.approvals.services import cases, queue
from gridops.approvals.models import Counter

from . import factories as f

pytestmark = pytest.mark.django_db


def _case_at(hall, clerk, item, n):
    queue.ticket_issue(hall=hall, item=item)
    ticket = queue.ticket_call_next(counter=Counter.objects.filter(hall=hall).first(), clerk=clerk)
    applicant = identity.applicant_at_counter(clerk=clerk, id_number=f.person_id(n), name=f"办事人{n}")
    uploads = {"id_card": SimpleUploadedFile("id.pdf", f.PDF, "application/pdf"),
               "photo": SimpleUploadedFile("p.jpg", f.JPEG, "image/jpeg")}
    cases.case_accept_at_counter(clerk=clerk, ticket=ticket, applicant=applicant, uploads=uploads)
    queue.ticket_finish(ticket=ticket, clerk=clerk)


@pytest.fixture
def two_towns(world):
    _case_at(world["town"], world["clerk"], world["residence"], 70)        # 南庄
    _case_at(world["other"], world["other_clerk"], world["residence"], 71)  # 祖庙
    return world


def _halls(client, user, **params):
    client.force_login(user)
    today = timezone.localdate().isoformat()
    response = client.get(reverse("approvals-kpis"), {"by": "hall", "start": today, "end": today, **params})
    return response, ({row["code"] for row in response.json()["rows"]} if response.status_code == 200 else None)


def test_a_town_operator_sees_only_the_halls_of_their_town(client, two_towns):
    operator = f.user_with(Role.TOWN_OPERATOR, zone=two_towns["nanzhuang"])
    response, halls = _halls(client, operator)
    assert response.status_code == 200 and halls == {"H440604101"}
    _, halls = _halls(client, operator, zone="440604")  # asking for the district is cut to the town
    assert halls == {"H440604101"}
    other, _ = _halls(client, operator, zone="440604001")
    assert other.status_code == 403 and other.json()["error"]["field"] == "zone"


def test_the_district_sees_every_hall_and_may_narrow_to_one_town(client, two_towns):
    _, halls = _halls(client, two_towns["operator"])
    assert halls == {"H440604101", "H440604001"}
    _, halls = _halls(client, two_towns["operator"], zone="440604001")
    assert halls == {"H440604001"}


def test_a_town_operator_without_a_zone_reads_nothing(client, two_towns):
    response, _ = _halls(client, f.user_with(Role.TOWN_OPERATOR))
    assert response.status_code == 403
