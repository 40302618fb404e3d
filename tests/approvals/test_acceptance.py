"""The issue's acceptance, end to end through the API.

- A ticket at a town centre for an item of any department is served and finished at any counter.
- The same item submitted online is reviewed and delivered.
- A second application by the same applicant offers the documents of the first.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridops.approvals.models import Case, CaseDocument, Counter
from gridops.realtime.models import Event

from . import factories as f


def upload(name="doc.pdf", data=f.PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def as_user(client, user):
    client.force_login(user)
    return client


def transition(client, number, **body):
    return client.post(reverse("approvals-case-transition", args=[number]), body, content_type="application/json")


@pytest.mark.django_db
def test_any_counter_of_a_town_centre_serves_any_department(client, world):
    town = world["town"]
    food_ticket = client.post(reverse("approvals-hall-tickets", args=[town.code]), {"item": "shichang001"},
                              content_type="application/json").json()
    police_ticket = client.post(reverse("approvals-hall-tickets", args=[town.code]), {"item": "gongan001"},
                                content_type="application/json").json()
    assert (food_ticket["number"], police_ticket["number"]) == ("A001", "A002")

    # Counter 3 calls first and gets the food licence; counter 1 gets the residence permit.
    counter3 = Counter.objects.get(hall=town, number=3)
    counter1 = Counter.objects.get(hall=town, number=1)
    called = as_user(client, world["clerk"]).post(reverse("approvals-counter-call", args=[counter3.pk])).json()
    assert called["number"] == "A001" and called["counter"] == 3
    food_case = client.post(reverse("approvals-cases"), {
        "ticket": called["id"], "id_number": f.person_id(1), "name": "李四", "phone": "13900000001",
        "documents.application_form": upload(), "documents.id_card": upload("id.png", f.PNG, "image/png"),
        "documents.lease": upload(),
    }).json()
    assert food_case["state"] == "accepted" and food_case["department"] == "shichang"
    assert food_case["accepted_hall"] == town.code and food_case["due_date"]
    client.post(reverse("approvals-ticket-finish", args=[called["id"]]))

    called2 = as_user(client, world["clerk2"]).post(reverse("approvals-counter-call", args=[counter1.pk])).json()
    assert called2["number"] == "A002" and called2["counter"] == 1
    police_case = client.post(reverse("approvals-cases"), {
        "ticket": called2["id"], "id_number": f.person_id(2), "name": "王五",
        "documents.id_card": upload(), "documents.photo": upload("p.jpg", f.JPEG, "image/jpeg"),
    }).json()
    # 即办件: decided and handed over at the counter before the applicant leaves.
    assert transition(client, police_case["number"], action="approve").json()["state"] == "approved"
    assert transition(client, police_case["number"], action="deliver",
                      delivery_method="pickup").json()["state"] == "delivered"
    finished = client.post(reverse("approvals-ticket-finish", args=[called2["id"]])).json()
    assert finished["status"] == "done" and finished["handling_seconds"] is not None
    case = Case.objects.get(number=police_case["number"])
    assert case.on_the_spot and case.wait_seconds is not None and case.handling_seconds is not None

    # The food licence goes to the department's reviewer, is approved, and is collected at another hall.
    as_user(client, world["food_reviewer"])
    assert transition(client, food_case["number"], action="review").json()["state"] == "review"
    assert transition(client, food_case["number"], action="approve", note="符合条件").json()["state"] == "approved"
    as_user(client, world["other_clerk"])
    delivered = transition(client, food_case["number"], action="deliver", delivery_method="pickup").json()
    assert delivered["state"] == "delivered"
    assert delivered["accepted_hall"] == town.code and delivered["finished_hall"] == world["other"].code
    assert not Case.objects.get(number=food_case["number"]).on_the_spot

    # Every queue change reached the hall's screen audience.
    events = Event.objects.filter(kind="hall.queue", audiences__contains=[f"hall.{town.code}"])
    assert events.count() == 6  # 2 tickets, 2 calls, 2 finishes
    assert events.last().payload["today"]["served"] == 2


@pytest.mark.django_db
def test_the_same_item_online_is_reviewed_and_delivered(client, world):
    f.attest(world["citizen"], f.person_id(3), by=world["clerk"])  # 智信 attestation: binds on first use
    as_user(client, world["citizen"])
    submitted = client.post(reverse("approvals-cases"), {
        "item": "shichang001", "id_number": f.person_id(3), "name": "陈六", "phone": "13700000003",
        "delivery_method": "courier", "delivery_address": "佛山市禅城区南庄镇紫洞路1号",
        "documents.application_form": upload(), "documents.id_card": upload(), "documents.lease": upload(),
    })
    assert submitted.status_code == 201, submitted.content
    number = submitted.json()["number"]
    assert submitted.json()["state"] == "submitted" and submitted.json()["channel"] == "online"

    as_user(client, world["food_reviewer"])
    for action, state in (("accept", "accepted"), ("review", "review"), ("approve", "approved")):
        assert transition(client, number, action=action).json()["state"] == state
    refused = transition(client, number, action="deliver")
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "courier_tracking"
    delivered = transition(client, number, action="deliver", courier_tracking="EMS1234567890").json()
    assert delivered["state"] == "delivered" and delivered["delivery_method"] == "courier"

    as_user(client, world["citizen"])
    mine = client.get(reverse("approvals-cases"), {"mine": 1}).json()
    assert [c["number"] for c in mine] == [number] and mine[0]["state"] == "delivered"
    rated = client.post(reverse("approvals-case-rating", args=[number]), {"rating": "satisfied", "comment": "快"},
                        content_type="application/json")
    assert rated.status_code == 200 and rated.json()["rating"] == "satisfied"
    again = client.post(reverse("approvals-case-rating", args=[number]), {"rating": "satisfied"},
                        content_type="application/json")
    assert again.status_code == 409
    # The applicant followed the case over the realtime channel.
    states = [e.payload["state"] for e in Event.objects.filter(kind="approvals.case",
                                                                audiences__contains=[f"user.{world['citizen'].id}"])]
    assert states == ["submitted", "accepted", "review", "approved", "delivered"]


@pytest.mark.django_db
def test_a_second_application_offers_the_first_ones_documents(client, world):
    f.attest(world["citizen"], f.person_id(4), by=world["clerk"])
    as_user(client, world["citizen"])
    first = client.post(reverse("approvals-cases"), {
        "item": "shichang001", "id_number": f.person_id(4), "name": "赵七", "delivery_method": "courier",
        "delivery_address": "佛山市禅城区祖庙路2号", "documents.application_form": upload(),
        "documents.id_card": upload("id.png", f.PNG, "image/png"), "documents.lease": upload(),
    })
    assert first.status_code == 201
    # The residence permit also needs the identity card: it is offered, the photo is not.
    offered = client.get(reverse("approvals-offered-documents"), {"item": "gongan001"}).json()["documents"]
    by_code = {entry["code"]: entry for entry in offered}
    assert by_code["id_card"]["offered"] is not None and by_code["id_card"]["offered"]["content_type"] == "image/png"
    assert by_code["photo"]["offered"] is None

    second = client.post(reverse("approvals-cases"), {
        "item": "gongan001", "id_number": f.person_id(4), "name": "赵七", "delivery_method": "courier",
        "delivery_address": "佛山市禅城区祖庙路2号", "reuse": [by_code["id_card"]["offered"]["id"]],
        "documents.photo": upload("p.jpg", f.JPEG, "image/jpeg"),
    })
    assert second.status_code == 201, second.content
    docs = {d["type"]: d["reused"] for d in second.json()["documents"]}
    assert docs == {"id_card": True, "photo": False}
    assert CaseDocument.objects.filter(case__number=second.json()["number"], reused=True).count() == 1

    # At a counter the clerk sees the same offer by the applicant's identity number.
    offered_at_counter = as_user(client, world["clerk"]).get(
        reverse("approvals-offered-documents"), {"item": "gongan001", "id_number": f.person_id(4)}).json()
    assert {e["code"] for e in offered_at_counter["documents"] if e["offered"]} == {"id_card", "photo"}
