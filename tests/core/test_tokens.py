"""The one token rule (gridops/core/tokens.py) as the REST API sees it, and log redaction."""
import logging

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from gridops.core.log_redaction import RedactSecretsFilter, redact
from gridops.core.tokens import TokenRejected, token_key_from_header
from tests.builders import make_user


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_rest_api_accepts_token_and_bearer(scheme):
    user = make_user("tablet", None)
    key = Token.objects.create(user=user).key
    response = Client().get(reverse("me"), HTTP_AUTHORIZATION=f"{scheme} {key}")
    assert response.status_code == 200
    assert response.json()["username"] == "tablet"


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer nope", "Token", "Bearer a b"])
def test_rest_api_refuses_a_bad_token_with_401(header):
    response = Client().get(reverse("me"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("header,key", [(None, None), ("", None), ("Basic abc", None), ("Token k1", "k1"),
                                        ("Bearer k2", "k2"), (b"bEaReR k3", "k3")])
def test_header_parsing(header, key):
    assert token_key_from_header(header) == key


def test_malformed_token_header_is_rejected():
    with pytest.raises(TokenRejected):
        token_key_from_header("Token a b")


def test_redaction_of_urls_and_credentials():
    assert redact("GET /ws/events/?token=abc123&last_id=4") == "GET /ws/events/?token=[redacted]&last_id=4"
    assert redact("/open311/v2/requests.json?x=1&api_key=s3cr3t") == "/open311/v2/requests.json?x=1&api_key=[redacted]"
    assert redact("client_key=abc") == "client_key=abc"  # not a secret, and not `?key=`
    assert redact("Authorization: Bearer 0123456789abcdef") == "Authorization: Bearer [redacted]"


def test_filter_rewrites_message_arguments():
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
                               ("127.0.0.1:5", "/ws/events/?token=deadbeef"), None)
    RedactSecretsFilter().filter(record)
    assert "deadbeef" not in record.getMessage()
    assert any(isinstance(f, RedactSecretsFilter) for f in logging.getLogger("uvicorn.error").filters)
