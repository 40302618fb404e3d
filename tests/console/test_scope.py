"""The console's page data and its map layers follow the user's jurisdiction (issue 12): a town
operator opens on their town, and sees their town's command centre, halls and stalls only."""
import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.urls import reverse

from gridops.approvals.models import Hall, HallKind
from gridops.incidents import rules
from gridops.ledger.services import vendors as ledger_vendors

from tests.realtime.users import NANZHUANG, ZUMIAO, build_people, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return build_people()


def test_console_opens_on_the_users_jurisdiction(people):
    nanzhuang = signed_in(people["users"]["nanzhuang"]).get(reverse("console")).context["config"]
    assert nanzhuang["extent"] == pytest.approx((113.00, 23.00, 113.02, 23.02))
    for who in ("district", "dept_cg"):
        config = signed_in(people["users"][who]).get(reverse("console")).context["config"]
        assert config["extent"] == pytest.approx((113.00, 23.00, 113.04, 23.02))


def test_console_reads_moves_and_labels_from_the_lifecycle_table(people):
    config = signed_in(people["users"]["district"]).get(reverse("console")).context["config"]
    assert config["transitions"] == rules.transition_table()
    assert "actionNames" not in config["i18n"]  # no second copy of the labels in the page


def test_centres_are_cut_to_the_town(people):
    """The console asks the district's one list of centres for its user's jurisdiction (`within`)."""
    def codes(who):
        client = signed_in(people["users"][who])
        url = client.get(reverse("console")).context["config"]["api"]["centres"]
        return sorted(f["properties"]["code"] for f in client.get(url).json()["features"])

    assert codes("nanzhuang") == [f"town-{NANZHUANG}"]
    assert codes("zumiao") == [f"town-{ZUMIAO}"]
    assert codes("district") == ["district", f"town-{ZUMIAO}", f"town-{NANZHUANG}"]


def test_halls_are_cut_to_the_town(people):
    zones = people["zones"]
    for code, town, x in (("NZ-H1", NANZHUANG, 113.01), ("ZM-H1", ZUMIAO, 113.03)):
        Hall.objects.create(code=code, name=code, kind=HallKind.TOWN_CENTRE, zone=zones[town],
                            location=Point(x, 23.01, srid=4326))

    def codes(who):
        features = signed_in(people["users"][who]).get(reverse("approvals-halls")).json()["features"]
        return sorted(f["id"] for f in features)

    assert codes("nanzhuang") == ["NZ-H1"]
    assert codes("district") == ["NZ-H1", "ZM-H1"]
    assert codes("justice") == ["NZ-H1", "ZM-H1"]   # not a zoned role


def test_stalls_are_cut_to_the_town(people):
    operator = people["users"]["district"]
    for name, lon in (("南庄菜档", 113.01), ("祖庙菜档", 113.03)):
        ledger_vendors.vendor_register(actor=operator, data={
            "name": name, "licence_no": "JY" + name, "market": "市场", "stall_no": "1", "goods": "蔬菜",
            "lon": lon, "lat": 23.005})

    def names(who):
        features = signed_in(people["users"][who]).get(reverse("ledger-api:vendors")).json()["features"]
        return sorted(f["properties"]["name"] for f in features)

    assert names("nanzhuang") == ["南庄菜档"]
    assert names("zumiao") == ["祖庙菜档"]
    assert names("district") == ["南庄菜档", "祖庙菜档"]
    assert sorted(f["properties"]["name"] for f in Client().get(reverse("ledger-api:vendors")).json()["features"]) == \
        ["南庄菜档", "祖庙菜档"]   # the public stall map is the district's
