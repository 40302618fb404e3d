"""The console page: who may open it, what its config offers, and the APIs it calls."""
import pytest
from django.test import Client
from django.urls import reverse

from tests.realtime.users import ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    data = build_people()
    make_incident(data["zones"], ZUMIAO_GRID, status="dispatched", overdue=True)
    make_incident(data["zones"], ZUMIAO_GRID, status="resolved")
    return data


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who,status", [
    ("district", 200), ("zumiao", 200), ("dept_cg", 200), ("justice", 200), ("worker_zm", 403), ("citizen", 403),
])
def test_console_access(people, who, status):
    assert as_user(people["users"][who]).get(reverse("console")).status_code == status


@pytest.mark.parametrize("who,layers", [
    ("district", ["halls", "schools", "stalls"]),
    ("zumiao", ["halls", "schools", "stalls"]),
    ("dept_cg", ["halls", "stalls"]),
    ("justice", ["halls", "stalls", "checkins"]),
])
def test_console_optional_layers_by_role(people, who, layers):
    """Other apps' layers by their real routes; check-ins only for justice officers."""
    config = as_user(people["users"][who]).get(reverse("console")).context["config"]
    offered = {layer["key"]: layer for layer in config["optionalLayers"]}
    assert sorted(offered) == sorted(layers)
    routes = {"halls": "approvals-halls", "schools": "education-layer", "stalls": "ledger-api:vendors",
              "checkins": "ledger-api:checkins"}
    for key, layer in offered.items():
        assert layer["url"] == reverse(routes[key]) and layer["fields"] and config["palette"]["places"][key]["colour"]
    assert offered["halls"]["live"] == "hall.queue"


def test_console_optional_layer_urls_answer_their_audience(people):
    """Each offered layer's URL gives GeoJSON to the user it is offered to (no 403 behind a toggle)."""
    for who in ("district", "justice"):
        client = as_user(people["users"][who])
        for layer in client.get(reverse("console")).context["config"]["optionalLayers"]:
            response = client.get(layer["url"])
            assert response.status_code == 200, (who, layer["key"], response.content[:200])
            body = response.json()
            assert body["type"] == "FeatureCollection", (who, layer["key"])


def test_console_redirects_anonymous_to_login():
    response = Client().get(reverse("console"))
    assert response.status_code == 302


def test_console_is_chinese_by_default_and_english_on_request(people):
    client = as_user(people["users"]["district"])
    assert "今日办结率" in client.get(reverse("console")).content.decode()
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("console")).content.decode()
    assert "Closure rate today" in english


def test_kpi_strip_follows_jurisdiction(people):
    district = as_user(people["users"]["district"]).get(reverse("realtime-kpis")).json()
    assert district["open"] == 1 and district["overdue"] == 1
    nanzhuang = as_user(people["users"]["nanzhuang"]).get(reverse("realtime-kpis")).json()
    assert nanzhuang["open"] == 0 and nanzhuang["closure_rate_today"] is None


def test_every_api_the_console_calls_answers_it(people):
    """The config's API URLs are the kept resources (no moved path, no redirect): each answers
    the operator with 200, and the worker positions cover the console's 12-hour window."""
    client = as_user(people["users"]["district"])
    api = client.get(reverse("console")).context["config"]["api"]
    for key, url in api.items():
        assert "/realtime/" not in url or key == "kpiStrip", (key, url)
        assert client.get(url).status_code == 200, (key, url)
    assert api["positions"] == reverse("worker-positions-latest") + "?minutes=720"
    assert len(client.get(api["centres"]).json()["features"]) == 3
