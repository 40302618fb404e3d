"""API: a table-driven permission matrix, bad input naming the field, the GeoJSON layer, KPIs."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridops.approvals import identity
from gridops.approvals.models import Counter
from gridops.approvals.services import cases, queue

from . import factories as f


@pytest.fixture
def case(world):
    """A food licence accepted at the town centre, now under review."""
    ticket = queue.ticket_issue(hall=world["town"], item=world["food"])
    counter = Counter.objects.get(hall=world["town"], number=1)
    ticket = queue.ticket_call_next(counter=counter, clerk=world["clerk"])
    applicant = identity.identity_verify_at_counter(clerk=world["clerk"], account=world["citizen"],
                                                    id_number=f.person_id(20), name="周八", phone="13612345678")
    pdf = lambda: SimpleUploadedFile("a.pdf", f.PDF, content_type="application/pdf")  # noqa: E731
    accepted = cases.case_accept_at_counter(clerk=world["clerk"], ticket=ticket, applicant=applicant,
                                               uploads={"application_form": pdf(), "id_card": pdf(), "lease": pdf()})
    queue.ticket_finish(ticket=ticket, clerk=world["clerk"])
    return cases.case_transition(actor=world["food_reviewer"], case=accepted, action="review")


# who -> (sees the case, sees personal data, may approve, may read KPIs)
MATRIX = [
    ("anonymous", 401, None, 401, 401),
    ("citizen", 200, True, 403, 403),          # the applicant: own case, unmasked, cannot decide
    ("stranger", 404, None, 404, 403),         # another citizen: not even its existence
    ("food_reviewer", 200, True, 200, 200),    # the item's department reviews it
    ("police_reviewer", 404, None, 404, 200),  # another department does not see it
    ("clerk", 200, True, 403, 200),            # the accepting hall's clerk handled it
    ("other_clerk", 404, None, 404, 200),      # another hall's clerk: not until ready for pick-up
    ("operator", 200, False, 403, 200),        # the district sees every case, masked
]


@pytest.mark.django_db
@pytest.mark.parametrize("who, read, personal, approve, kpi", MATRIX)
def test_permission_matrix(client, world, case, who, read, personal, approve, kpi):
    if who != "anonymous":
        client.force_login(world[who])
    detail = client.get(reverse("approvals-case", args=[case.number]))
    assert detail.status_code == read
    if read == 200:
        applicant = detail.json()["applicant"]
        assert applicant["masked"] is (not personal)
        assert (applicant["name"] == "周八") is personal
        assert (applicant["id_number"] == f.person_id(20)) is personal
        assert bool(detail.json()["documents"]) is personal
    decided = client.post(reverse("approvals-case-transition", args=[case.number]), {"action": "approve"},
                          content_type="application/json")
    assert decided.status_code == approve
    kpis = client.get(reverse("approvals-kpis"), {"by": "hall", "start": "2025-01-01", "end": "2025-12-31"})
    assert kpis.status_code == kpi


@pytest.mark.django_db
def test_case_list_pages_beyond_its_first_page(client, world, case):
    """The list stopped at 200 cases with no way to the rest; now `?start=&limit=` pages (200 by
    default, the same first page) with the next page in the Link header, the body still a list."""
    second = cases.case_submit_online(
        user=world["citizen"], applicant=case.applicant, item=world["food"], delivery_method="pickup",
        uploads={code: SimpleUploadedFile("a.pdf", f.PDF, content_type="application/pdf")
                 for code in ("application_form", "id_card", "lease")})
    client.force_login(world["food_reviewer"])
    everything = client.get(reverse("approvals-cases")).json()
    assert [c["number"] for c in everything] == [second.number, case.number] and "Link" not in client.get(
        reverse("approvals-cases"))
    first = client.get(reverse("approvals-cases"), {"limit": 1})
    assert [c["number"] for c in first.json()] == [second.number] and 'rel="next"' in first["Link"]
    rest = client.get(reverse("approvals-cases"), {"start": 1, "limit": 1})
    assert [c["number"] for c in rest.json()] == [case.number] and 'rel="next"' not in rest["Link"]
    assert client.get(reverse("approvals-cases"), {"limit": "many"}).json()["error"]["field"] == "limit"


@pytest.mark.django_db
def test_a_result_ready_for_pickup_is_visible_to_any_hall(client, world, case):
    cases.case_transition(actor=world["food_reviewer"], case=case, action="approve")
    client.force_login(world["other_clerk"])
    detail = client.get(reverse("approvals-case", args=[case.number])).json()
    assert detail["state"] == "approved" and detail["applicant"]["masked"] is False


@pytest.mark.django_db
@pytest.mark.parametrize("path, body, status, field", [
    ("approvals-hall-tickets", {"item": "nope"}, 404, "item"),
    ("approvals-hall-tickets", {}, 400, "item"),
    ("approvals-hall-tickets", {"item": "shichang001", "id_number": "123", "name": "x"}, 400, "id_number"),
    # '²' passed str.isdigit() and then int() raised: a 500 before core.resident_id
    ("approvals-hall-tickets", {"item": "shichang001", "id_number": "4406041990010112²3", "name": "x"}, 400,
     "id_number"),
])
def test_bad_ticket_input_names_the_field(client, world, path, body, status, field):
    response = client.post(reverse(path, args=[world["town"].code]), body, content_type="application/json")
    assert response.status_code == status and response.json()["error"]["field"] == field


@pytest.mark.django_db
@pytest.mark.parametrize("files, status, field", [
    ({"documents.id_card": ("x.pdf", b"<html>not a pdf</html>")}, 415, "documents.id_card"),
    ({"documents.id_card": ("x.pdf", b"")}, 400, "documents.id_card"),
    ({"documents.unknown": ("x.pdf", f.PDF)}, 400, "documents.unknown"),
    ({"documents.id_card": ("x.pdf", f.PDF)}, 400, "documents.application_form"),  # incomplete
])
def test_bad_uploads_are_refused(client, world, files, status, field):
    f.attest(world["citizen"], f.person_id(30), by=world["clerk"])
    client.force_login(world["citizen"])
    body = {"item": "shichang001", "id_number": f.person_id(30), "name": "吴九", "delivery_method": "pickup"}
    body.update({key: SimpleUploadedFile(name, data) for key, (name, data) in files.items()})
    response = client.post(reverse("approvals-cases"), body)
    assert response.status_code == status, response.content
    assert response.json()["error"]["field"] == field


@pytest.mark.django_db
def test_too_large_upload_is_413(client, world, settings):
    settings.GRIDOPS_APPROVALS_MAX_UPLOAD_BYTES = 1000
    f.attest(world["citizen"], f.person_id(31), by=world["clerk"])
    client.force_login(world["citizen"])
    response = client.post(reverse("approvals-cases"), {
        "item": "shichang001", "id_number": f.person_id(31), "name": "郑十", "delivery_method": "pickup",
        "documents.lease": SimpleUploadedFile("big.pdf", f.PDF + b"0" * 2000)})
    assert response.status_code == 413 and response.json()["error"]["field"] == "documents.lease"


@pytest.mark.django_db
def test_online_only_for_online_items_and_own_identity(client, world):
    world["food"].online = False
    world["food"].save()
    f.attest(world["citizen"], f.person_id(32), by=world["clerk"])
    client.force_login(world["citizen"])
    body = {"item": "shichang001", "id_number": f.person_id(32), "name": "钱一", "delivery_method": "pickup"}
    assert client.post(reverse("approvals-cases"), body).status_code == 409
    identity.identity_verify_at_counter(clerk=world["clerk"], account=world["stranger"], id_number=f.person_id(33),
                                        name="孙二")
    body.update(item="gongan001", id_number=f.person_id(33), name="孙二")
    response = client.post(reverse("approvals-cases"), body)
    assert response.status_code == 403 and response.json()["error"]["field"] == "id_number"


@pytest.mark.django_db
def test_hall_layer_is_geojson_with_live_figures(client, world):
    queue.ticket_issue(hall=world["town"], item=world["food"])
    queue.ticket_issue(hall=world["town"], item=world["residence"])
    layer = client.get(reverse("approvals-halls")).json()
    assert layer["type"] == "FeatureCollection"
    by_code = {feature["id"]: feature for feature in layer["features"]}
    town = by_code["H440604101"]
    assert town["geometry"]["type"] == "Point"
    assert town["properties"]["today"]["waiting"] == 2 and town["properties"]["today"]["open_counters"] == 3
    assert by_code["H440604001"]["properties"]["today"]["waiting"] == 0
    shown = client.get(reverse("approvals-hall-queue", args=["H440604101"])).json()
    assert shown["next"] == ["A001", "A002"]


@pytest.mark.django_db
def test_kpi_query_validation(client, world):
    client.force_login(world["operator"])
    bad = client.get(reverse("approvals-kpis"), {"by": "planet", "start": "2025-01-01", "end": "2025-01-02"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "by"
    backwards = client.get(reverse("approvals-kpis"), {"by": "hall", "start": "2025-02-01", "end": "2025-01-01"})
    assert backwards.status_code == 400 and backwards.json()["error"]["field"] == "end"
    missing = client.get(reverse("approvals-kpis"), {"by": "hall"})
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "start"


@pytest.mark.django_db
def test_returned_case_is_resubmitted_with_the_missing_document(client, world, case):
    client.force_login(world["food_reviewer"])
    returned = client.post(reverse("approvals-case-transition", args=[case.number]),
                           {"action": "return", "missing": ["lease"], "note": "租赁合同过期"},
                           content_type="application/json").json()
    assert returned["state"] == "returned" and returned["missing_documents"] == ["lease"]
    client.force_login(world["citizen"])
    empty = client.post(reverse("approvals-case-transition", args=[case.number]), {"action": "resubmit"})
    assert empty.status_code == 400 and empty.json()["error"]["field"] == "documents.lease"
    again = client.post(reverse("approvals-case-transition", args=[case.number]), {
        "action": "resubmit", "documents.lease": SimpleUploadedFile("new.pdf", f.PDF + b"new")}).json()
    assert again["state"] == "review" and again["missing_documents"] == []


@pytest.mark.django_db
def test_pages(client, world):
    assert client.get(reverse("approvals-map")).status_code == 200
    screen = client.get(reverse("approvals-hall-screen", args=["H440604101"]))
    assert screen.status_code == 200 and "只认窗口，不认部门" in screen.content.decode()
    assert client.get(reverse("approvals-hall-screen", args=["NOPE"])).status_code == 404
    assert client.get(reverse("approvals-apply")).status_code == 302  # sign in first
    client.force_login(world["citizen"])
    assert client.get(reverse("approvals-apply")).status_code == 200
