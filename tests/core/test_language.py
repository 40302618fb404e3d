"""Pages default to Simplified Chinese whatever the browser says; English is a choice."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_default_is_chinese_even_for_an_english_browser(client):
    response = client.get(reverse("zone-map"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "禅城区网格" in response.content.decode()


def test_english_when_chosen(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("zone-map"))
    assert response["Content-Language"] == "en"
    assert "Chancheng District grid" in response.content.decode()
