"""The screen account: read-only everywhere (session or token), hears its jurisdiction, gets its page."""
import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from gridops.incidents.models import Incident
from gridops.realtime.selectors import audiences_of
from tests.incidents.factories import NANZHUANG, NZ_POINT

REPORT = {"lon": NZ_POINT[0], "lat": NZ_POINT[1], "event_type": "0101001", "description": "井盖缺失"}


@pytest.mark.django_db
def test_a_screen_session_cannot_write(world):
    client = APIClient()
    client.force_login(world["users"]["screen"])
    answer = client.post(reverse("incident-list"), REPORT, format="json")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "read_only_account"
    assert not Incident.objects.filter(description="井盖缺失").exists()
    assert client.get(reverse("incident-list")).status_code == 200  # reading is what it is for
    assert client.post(reverse("logout")).status_code == 302  # signing out changes no data


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_a_screen_token_cannot_write(world, scheme):
    key = Token.objects.create(user=world["users"]["screen"]).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    answer = client.post(reverse("incident-list"), REPORT, format="json")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "read_only_account"
    assert client.get(reverse("screen-summary")).status_code == 200
    # Another account's token is not affected: the rule is the account's, not the route's.
    operator = APIClient()
    operator.credentials(HTTP_AUTHORIZATION=f"{scheme} {Token.objects.create(user=world['users']['district_op']).key}")
    assert operator.post(reverse("incident-list"), REPORT, format="json").status_code == 201


@pytest.mark.django_db
def test_a_bad_token_is_left_to_the_view(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.post(reverse("incident-list"), REPORT, format="json").status_code == 401


@pytest.mark.django_db
def test_screens_hear_their_jurisdiction(world):
    assert "district" in audiences_of(world["users"]["screen"])
    nz = audiences_of(world["users"]["nz_screen"])
    assert f"town.{NANZHUANG}" in nz and "district" not in nz


@pytest.mark.django_db
@pytest.mark.parametrize("user, path, status", [
    ("screen", "/screen/", 200), ("screen", f"/screen/{NANZHUANG}/", 200), ("nz_screen", "/screen/", 200),
    ("nz_screen", "/screen/440604/", 403), ("nz_screen", "/screen/440604001/", 403), ("citizen", "/screen/", 403),
    ("screen", "/screen/440604999/", 404), (None, "/screen/", 302),
])
def test_page(world, user, path, status):
    client = Client()
    if user:
        client.force_login(world["users"][user])
    answer = client.get(path)
    assert answer.status_code == status
    if status == 200:
        html = answer.content.decode()
        config = json.loads(html.split('id="screen-config" type="application/json">')[1].split("</script>")[0])
        expected = NANZHUANG if user == "nz_screen" or NANZHUANG in path else "440604"
        assert config["zone"]["code"] == expected and config["summary"].endswith(f"?zone={expected}")
        assert "办结率" in html and "事件类别排行" in html and config["i18n"]["period"] == "近{days}天"
        assert "vendor/echarts.common.min.js" in html and "cdn" not in html.lower()
