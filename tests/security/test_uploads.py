"""Uploads that lie about their type, or are just over the limit, are refused by every upload endpoint.

Table-driven: each endpoint (incident photos, approvals case documents, education imports, ledger
notarisation) meets each lie (HTML named .jpg, SVG with script claiming PNG, a Windows EXE claiming
JPEG, the PNG magic glued onto garbage, a PDF where only images are allowed, one byte over the
limit). Each is a 4xx naming the field, and nothing is stored: no row and no file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tests import images
from tests.security.world import PDF, token_for

pytestmark = pytest.mark.django_db

LIMIT = 4096  # every endpoint's limit, lowered so "one byte over" stays small
JPEG = images.JPEG  # a real image: uploads are decoded (gridops.core.uploads)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"This program cannot be run in DOS mode." + b"\x00" * 64
PNG_GARBAGE = b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 4

# name, bytes, declared content type
LIES = {
    "html named .jpg": ("photo.jpg", HTML, "image/jpeg"),
    "svg claiming png": ("photo.png", SVG, "image/png"),
    "exe claiming jpeg": ("photo.jpg", EXE, "image/jpeg"),
    "png magic then garbage": ("photo.png", PNG_GARBAGE, "image/png"),
    "pdf claiming jpeg": ("photo.jpg", PDF, "image/jpeg"),
    "one byte over the limit": ("photo.jpg", JPEG + b"\x00" * (LIMIT + 1 - len(JPEG)), "image/jpeg"),
}


@dataclass(frozen=True)
class Endpoint:
    role: str
    field: str
    post: Callable  # (client, world, field, upload) -> response
    stored: Callable  # () -> a count of the rows this endpoint writes
    refused: dict  # lie -> expected status; a lie missing here is one the endpoint may accept


def _photos(client, world, field, upload):
    return client.post(reverse("incident-photos", args=[world["incident"].pk]), {field: upload}, format="multipart")


def _case(client, world, field, upload):
    applicant = world["applicant"]
    body = {"item": world["item"].code, "kind": "person", "id_number": applicant.id_number, "name": applicant.name,
            "phone": applicant.phone, "delivery_method": "pickup", field: upload}
    return client.post(reverse("approvals-cases"), body, format="multipart")


def _education(kind):
    def post(client, world, field, upload):
        return client.post(reverse(f"education-import-{kind}"), {field: upload, "commit": "true", "name": "lie"},
                           format="multipart")
    return post


def _notarise(client, world, field, upload):
    return client.post(reverse("ledger-api:notarisations"), {field: upload, "title": "合同"}, format="multipart")


def _count(models):
    def count():
        return tuple(m.objects.count() for m in models())
    return count


def _incident_models():
    from gridops.incidents.models import IncidentPhoto
    return (IncidentPhoto,)


def _approval_models():
    from gridops.approvals.models import ApplicantDocument, Case
    return (ApplicantDocument, Case)


def _education_models():
    from gridops.education.models import CatchmentMember, CatchmentPlan, School, SchoolGrade
    return (School, SchoolGrade, CatchmentPlan, CatchmentMember)


def _ledger_models():
    from gridops.ledger.models import Notarisation
    return (Notarisation,)


ALL_415 = {lie: 415 for lie in LIES} | {"one byte over the limit": 413}
EDUCATION = {lie: 400 for lie in LIES} | {"one byte over the limit": 413}
ENDPOINTS = {
    "incident photo": Endpoint("district_operator", "photo", _photos, _count(_incident_models), ALL_415),
    # PDF is an accepted document type for a case, so "pdf claiming jpeg" is no lie there.
    "approvals document": Endpoint("citizen", "documents.id_card", _case, _count(_approval_models),
                                   {k: v for k, v in ALL_415.items() if k != "pdf claiming jpeg"}),
    "education schools": Endpoint("planner", "file", _education("schools"), _count(_education_models), EDUCATION),
    "education catchments": Endpoint("planner", "file", _education("catchments"), _count(_education_models), EDUCATION),
    # Notarisation takes a digest, never a file: a file sent instead is refused on the digest.
    "ledger notarisation": Endpoint("citizen", "sha256", _notarise, _count(_ledger_models), {lie: 400 for lie in LIES}),
}
CASES = [(e, lie) for e, endpoint in ENDPOINTS.items() for lie in LIES if lie in endpoint.refused]


@pytest.fixture
def limits(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.GRIDOPS_PHOTO_MAX_BYTES = LIMIT
    settings.GRIDOPS_APPROVALS_MAX_UPLOAD_BYTES = LIMIT
    settings.GRIDOPS_EDUCATION_MAX_UPLOAD = LIMIT
    settings.GRIDOPS_RATE_LIMITS = {**settings.GRIDOPS_RATE_LIMITS, "ledger.notarise": "100000/m"}
    return tmp_path


def _files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("endpoint_name, lie", CASES)
def test_lying_or_oversize_uploads_are_refused(shared_world, db, limits, endpoint_name, lie):
    endpoint = ENDPOINTS[endpoint_name]
    name, data, content_type = LIES[lie]
    field = "file" if endpoint.field == "sha256" else endpoint.field
    if endpoint_name.startswith("education"):
        name = name.rsplit(".", 1)[0] + ".geojson"  # an allowed suffix, so the content is what gets judged
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(shared_world['users'][endpoint.role])}")
    before, files_before = endpoint.stored(), _files(limits)
    response = endpoint.post(client, shared_world, field, SimpleUploadedFile(name, data, content_type=content_type))
    assert response.status_code == endpoint.refused[lie], (response.status_code, response.content[:300])
    assert response.json()["error"]["field"] == endpoint.field, response.json()
    assert endpoint.stored() == before
    assert _files(limits) == files_before


@pytest.mark.parametrize("endpoint_name", ["incident photo", "approvals document"])
def test_a_true_file_at_the_limit_is_accepted(shared_world, db, limits, endpoint_name):
    """The table above is not refusing everything: the same endpoint takes an honest file."""
    endpoint = ENDPOINTS[endpoint_name]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(shared_world['users'][endpoint.role])}")
    before = endpoint.stored()
    data = JPEG + b"\x00" * (LIMIT - len(JPEG))
    response = endpoint.post(client, shared_world, endpoint.field, SimpleUploadedFile("ok.jpg", data, "image/jpeg"))
    assert response.status_code == 201, response.content[:300]
    assert endpoint.stored()[0] == before[0] + 1
    assert len(_files(limits)) == 1


# --- issue 11, finding 7: judged by decoding, not by the first bytes --------------------------

IMAGE_ENDPOINTS = ["incident photo", "approvals document"]


@pytest.fixture
def roomy(settings, tmp_path):
    """Byte limits well above the files below, so what refuses them is their content."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.GRIDOPS_PHOTO_MAX_BYTES = settings.GRIDOPS_APPROVALS_MAX_UPLOAD_BYTES = 1024 * 1024
    return tmp_path


def _post(world, endpoint_name, name, data, content_type):
    endpoint = ENDPOINTS[endpoint_name]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][endpoint.role])}")
    return endpoint, endpoint.post(client, world, endpoint.field, SimpleUploadedFile(name, data, content_type))


@pytest.mark.parametrize("endpoint_name", IMAGE_ENDPOINTS)
@pytest.mark.parametrize("lie, data, status", [
    ("a 48 KB PNG declaring 20000×20000 pixels", images.BOMB_PNG, 413),
    ("a PNG header followed by HTML", images.PNG_HEADER_THEN_HTML, 415),
])
def test_bombs_and_headers_glued_onto_html_are_refused(shared_world, db, roomy, endpoint_name, lie, data, status):
    assert len(data) < 64 * 1024
    endpoint = ENDPOINTS[endpoint_name]
    before = endpoint.stored()
    _, response = _post(shared_world, endpoint_name, "photo.png", data, "image/png")
    assert response.status_code == status, (lie, response.status_code, response.content[:300])
    assert response.json()["error"]["field"] == endpoint.field
    assert endpoint.stored() == before and _files(roomy) == []


@pytest.mark.parametrize("endpoint_name", IMAGE_ENDPOINTS)
def test_what_is_stored_is_a_re_encoding_without_the_tail(shared_world, db, roomy, endpoint_name):
    """A valid image with HTML appended (a polyglot) is kept as its pixels only."""
    from PIL import Image

    _, response = _post(shared_world, endpoint_name, "photo.png", images.PNG_WITH_HTML_TAIL, "image/png")
    assert response.status_code == 201, response.content[:300]
    (stored,) = _files(roomy)
    data = stored.read_bytes()
    assert b"<script" not in data and b"<html" not in data.lower()
    with Image.open(stored) as image:
        assert image.format == "PNG" and image.size == (8, 6)


def test_media_are_served_as_images_or_downloads_and_documents_not_at_all(shared_world, db, roomy, client):
    _, response = _post(shared_world, "incident photo", "photo.jpg", images.JPEG, "image/jpeg")
    url = response.json()["url"]
    photo = client.get(url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert photo["Content-Disposition"].startswith("inline;")
    assert "sandbox" in photo["Content-Security-Policy"]
    from gridops.approvals.models import ApplicantDocument

    document = ApplicantDocument.objects.filter(applicant=shared_world["applicant"]).first()
    assert client.get("/media/" + document.file.name).status_code == 404  # identity documents: never
    assert client.get("/media/incidents/../approvals/x.pdf").status_code == 404


def test_production_hands_media_to_the_web_server(shared_world, db, roomy, client, settings):
    _, response = _post(shared_world, "incident photo", "photo.jpg", images.JPEG, "image/jpeg")
    settings.GRIDOPS_MEDIA_ACCEL_REDIRECT = "/protected-media/"
    served = client.get(response.json()["url"])
    assert served.status_code == 200 and served.content == b""
    assert served["X-Accel-Redirect"].startswith("/protected-media/incidents/")
    assert served["X-Content-Type-Options"] == "nosniff"
