"""Issue 11 finding 1 (and the approvals half of finding 9): an identity number binds to an account
only through proof — the ledger's identity attestation or a clerk's check at the counter.

The attack of the issue: a counter applicant (the victim) has a case; a citizen files an online case
with the victim's resident ID and an invented name. Before the fix that was a 201, the victim's
record was bound to the attacker, the attacker read the victim's case unmasked, the attacker's
upload became the victim's document, and the victim was locked out.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridops.approvals import identity
from gridops.approvals.services import cases, queue
from gridops.approvals.models import Applicant, ApplicantDocument, Case, Counter
from gridops.ledger.models import IdentityAttestation
from gridops.ledger.services.identity import identity_matches

from . import factories as f

pytestmark = pytest.mark.django_db
VICTIM_ID, VICTIM_NAME = f.person_id(50), "林小红"


def pdf(name="a.pdf"):
    return SimpleUploadedFile(name, f.PDF, content_type="application/pdf")


@pytest.fixture
def victim_case(world):
    """The victim applied at the counter: the clerk saw her ID card; no account is bound."""
    queue.ticket_issue(hall=world["town"], item=world["food"])
    ticket = queue.ticket_call_next(counter=Counter.objects.get(hall=world["town"], number=1), clerk=world["clerk"])
    applicant = identity.applicant_at_counter(clerk=world["clerk"], id_number=VICTIM_ID, name=VICTIM_NAME,
                                              phone="13511112222")
    case = cases.case_accept_at_counter(clerk=world["clerk"], ticket=ticket, applicant=applicant,
                                           uploads={"application_form": pdf(), "id_card": pdf(), "lease": pdf()})
    queue.ticket_finish(ticket=ticket, clerk=world["clerk"])
    return case


def _documents() -> dict:
    """What the residence permit (gongan001) asks for: an ID card scan and a photo."""
    return {"documents.id_card": SimpleUploadedFile("id.png", f.PNG, "image/png"),
            "documents.photo": SimpleUploadedFile("me.jpg", f.JPEG, "image/jpeg")}


def _apply_online(client, id_number, name, **files):
    body = {"item": "gongan001", "id_number": id_number, "name": name, "delivery_method": "pickup", **files}
    return client.post(reverse("approvals-cases"), body)


def test_the_takeover_of_the_issue_is_refused(client, world, victim_case):
    documents_before = ApplicantDocument.objects.count()
    client.force_login(world["stranger"])  # the attacker: an ordinary signed-in citizen
    response = _apply_online(client, VICTIM_ID, "冒名人", **_documents())
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "identity_not_verified"
    assert response.json()["error"]["field"] == "id_number"
    victim = Applicant.objects.get(id_number=VICTIM_ID)
    assert victim.user_id is None and victim.name == VICTIM_NAME  # not bound, not renamed
    assert ApplicantDocument.objects.count() == documents_before  # no upload attached to the victim
    assert Case.objects.filter(applicant=victim).count() == 1
    # The attacker still cannot read the victim's case, nor list it as their own.
    assert client.get(reverse("approvals-case", args=[victim_case.number])).status_code == 404
    assert client.get(reverse("approvals-cases"), {"mine": 1}).json() == []
    offered = client.get(reverse("approvals-offered-documents"), {"item": "gongan001"}).json()["documents"]
    assert all(entry["offered"] is None for entry in offered)
    # Nor book in her name.
    booking = client.post(reverse("approvals-hall-bookings", args=[world["town"].code]), {
        "item": "gongan001", "id_number": VICTIM_ID, "name": VICTIM_NAME, "slot_start": "2030-01-07T09:00:00+08:00"},
        content_type="application/json")
    assert booking.status_code == 403 and booking.json()["error"]["field"] == "id_number"


def test_the_real_person_keeps_access_after_a_clerk_verifies_her(client, world, victim_case):
    client.force_login(world["stranger"])
    assert _apply_online(client, VICTIM_ID, VICTIM_NAME).status_code == 403  # the attack first
    client.force_login(world["clerk"])
    verified = client.post(reverse("approvals-identity-verifications"), {
        "username": world["citizen"].username, "id_number": VICTIM_ID, "name": VICTIM_NAME},
        content_type="application/json")
    assert verified.status_code == 201, verified.content
    assert verified.json()["bound"] is True and verified.json()["id_number"] != VICTIM_ID  # masked in the answer
    assert identity_matches(user=world["citizen"], id_number=VICTIM_ID)  # attested in the ledger too

    client.force_login(world["citizen"])
    detail = client.get(reverse("approvals-case", args=[victim_case.number])).json()
    assert detail["applicant"]["masked"] is False and detail["applicant"]["name"] == VICTIM_NAME
    applied = _apply_online(client, VICTIM_ID, VICTIM_NAME, **_documents())
    assert applied.status_code == 201, applied.content
    assert {c["number"] for c in client.get(reverse("approvals-cases"), {"mine": 1}).json()} == {
        victim_case.number, applied.json()["number"]}


def test_binding_through_the_ledger_attestation(client, world):
    client.force_login(world["clerk"])  # the IMI identity attestation, recorded by a clerk in the ledger
    attested = client.post(reverse("ledger-api:identity-attest"), {
        "user_id": world["citizen"].pk, "id_number": f.person_id(51), "method": "face"},
        content_type="application/json")
    assert attested.status_code == 201, attested.content
    client.force_login(world["citizen"])
    mine = _apply_online(client, f.person_id(51), "何大伟", **_documents())
    assert mine.status_code == 201, mine.content
    assert Applicant.objects.get(id_number=f.person_id(51)).user == world["citizen"]
    # The attestation proves the number, not another one.
    other = _apply_online(client, f.person_id(52), "何大伟")
    assert other.status_code == 403 and other.json()["error"]["code"] == "identity_not_verified"


def test_an_attested_user_must_give_the_recorded_name(client, world, victim_case):
    f.attest(world["citizen"], VICTIM_ID, by=world["clerk"])
    client.force_login(world["citizen"])
    wrong = _apply_online(client, VICTIM_ID, "别的名字")
    assert wrong.status_code == 400 and wrong.json()["error"]["field"] == "name"
    assert Applicant.objects.get(id_number=VICTIM_ID).user_id is None
    right = _apply_online(client, VICTIM_ID, f" {VICTIM_NAME} ", **_documents())
    assert right.status_code == 201, right.content
    assert Applicant.objects.get(id_number=VICTIM_ID).user == world["citizen"]


def test_refusal_does_not_reveal_whether_an_id_is_known_or_bound(client, world, victim_case):
    """Finding 9: unknown, known-and-unbound and bound-elsewhere numbers get the same answer."""
    identity.identity_verify_at_counter(clerk=world["clerk"], account=world["citizen"], id_number=f.person_id(53),
                                        name="已绑定")
    client.force_login(world["stranger"])
    answers = [_apply_online(client, number, "某人") for number in (f.person_id(54), VICTIM_ID, f.person_id(53))]
    assert {a.status_code for a in answers} == {403}
    assert len({a.content for a in answers}) == 1
    assert not Applicant.objects.filter(id_number=f.person_id(54)).exists()


def test_an_anonymous_ticket_does_not_plant_a_name(client, world, victim_case):
    url = reverse("approvals-hall-tickets", args=[world["town"].code])
    for number in (VICTIM_ID, f.person_id(55)):
        taken = client.post(url, {"item": "gongan001", "id_number": number, "name": "假名字"},
                            content_type="application/json")
        assert taken.status_code == 201, taken.content
    assert Applicant.objects.get(id_number=VICTIM_ID).name == VICTIM_NAME
    assert not Applicant.objects.filter(id_number=f.person_id(55)).exists()


def test_only_clerks_verify_and_a_verification_moves_a_wrong_binding(client, world):
    body = {"username": world["citizen"].username, "id_number": f.person_id(56), "name": "真本人"}
    for user in (world["stranger"], world["food_reviewer"], world["operator"]):
        client.force_login(user)
        refused = client.post(reverse("approvals-identity-verifications"), body, content_type="application/json")
        assert refused.status_code == 403
    assert IdentityAttestation.objects.count() == 0
    # A binding made wrongly earlier (say by a legacy takeover) is moved by the clerk's check.
    identity.identity_verify_at_counter(clerk=world["clerk"], account=world["stranger"], id_number=f.person_id(56),
                                        name="真本人")
    client.force_login(world["clerk"])
    moved = client.post(reverse("approvals-identity-verifications"), body, content_type="application/json")
    assert moved.status_code == 201
    assert Applicant.objects.get(id_number=f.person_id(56)).user == world["citizen"]
    unknown = client.post(reverse("approvals-identity-verifications"), {**body, "username": "nobody"},
                          content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "username"


def test_the_demo_citizen_is_bound_the_way_a_real_one_is(world):
    """The demo's checksummed ID is attested by the ledger demo step and bound through it."""
    from gridops.approvals import demo
    from gridops.core.resident_id import resident_id_valid

    assert resident_id_valid(demo.DEMO_CITIZEN_ID)
    citizen = world["citizen"]
    citizen.username = "citizen"
    citizen.save(update_fields=["username"])
    f.attest(citizen, demo.DEMO_CITIZEN_ID, by=world["clerk"])
    lines: list[str] = []
    demo._accounts(lines.append)
    demo._accounts(lines.append)  # idempotent
    assert Applicant.objects.get(id_number=demo.DEMO_CITIZEN_ID).user == citizen
    assert sum("ledger attestation" in line for line in lines) == 1
