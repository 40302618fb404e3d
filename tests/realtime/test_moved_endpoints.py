"""The realtime app's copies of three resources were folded into the one each (issue 15): the old
paths answer 301 to the kept ones, query string kept, for one release; the schema lists only the
kept paths; the kept paths carry what the console and tablet read from the old ones."""
import pytest
from django.test import Client
from django.urls import reverse

from .users import NANZHUANG, ZUMIAO, build_people, signed_in

pytestmark = pytest.mark.django_db

MOVED = [("/api/v1/realtime/me/", "/api/v1/me/"),
         ("/api/v1/realtime/centres/", "/api/v1/command-centres"),
         ("/api/v1/realtime/positions/", "/api/v1/worker-positions/latest/")]


@pytest.fixture
def people():
    return build_people()


@pytest.mark.parametrize("old,new", MOVED)
def test_old_path_answers_301_to_the_kept_one_with_its_query(people, old, new):
    for client in (Client(), signed_in(people["users"]["district"])):
        response = client.get(old + "?minutes=30&x=%E5%8D%97")
        assert response.status_code == 301
        assert response["Location"] == new + "?minutes=30&x=%E5%8D%97"
        bare = client.get(old)
        assert bare.status_code == 301 and bare["Location"] == new


@pytest.mark.parametrize("old,new", MOVED)
def test_following_the_redirect_reaches_the_resource(people, old, new):
    client = signed_in(people["users"]["district"])
    followed = client.get(old, follow=True)
    assert followed.redirect_chain == [(new, 301)] and followed.status_code == 200


@pytest.mark.parametrize("old,new", MOVED)
def test_a_write_to_an_old_path_is_refused_not_redirected(people, old, new):
    assert signed_in(people["users"]["district"]).post(old, {}).status_code == 405


def test_the_schema_lists_only_the_kept_paths():
    paths = Client().get(reverse("schema") + "?format=json").json()["paths"]
    for old, new in MOVED:
        assert old not in paths and new in paths, (old, new)


def test_command_centres_within_a_zone(people):
    """`within` (the console's cut): that zone's subtree only; a malformed code is 400 naming the
    field, an unknown one 404."""
    url = reverse("command-centre-list")

    def codes(query):
        return sorted(f["properties"]["code"] for f in Client().get(url + query).json()["features"])

    assert codes(f"?within={NANZHUANG}") == [f"town-{NANZHUANG}"]
    assert codes(f"?within={ZUMIAO}") == [f"town-{ZUMIAO}"]
    assert codes("") == ["district", f"town-{ZUMIAO}", f"town-{NANZHUANG}"]
    for bad, status in (("44060", 400), ("4406041O1", 400), ("440604999", 404)):
        response = Client().get(url + "?within=" + bad)
        assert response.status_code == status and response.json()["error"]["field"] == "within", bad


def test_worker_positions_window_is_validated(people):
    """The kept positions path reads `minutes` (the old one read `hours`): not a number → 400."""
    response = signed_in(people["users"]["district"]).get(reverse("worker-positions-latest") + "?minutes=x")
    assert response.status_code == 400 and response.json()["error"]["field"] == "minutes"
