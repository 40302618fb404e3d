"""Early warnings: raised once per grid and week, seen and pushed by the same jurisdiction,
acknowledged idempotently."""
import pytest
from channels.db import database_sync_to_async

from gridops.foresight import services
from gridops.foresight.models import EarlyWarning
from gridops.foresight.selectors import warnings_visible_to
from gridops.realtime.selectors import audiences_of
from tests.realtime.test_consumers import drain, open_as
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, signed_in

from .conftest import place_history

RISING = [1] * 12 + [9, 10, 11]  # a quiet grid that has suddenly become busy


@pytest.fixture
def warned(people, settings):
    settings.GRIDOPS_FORESIGHT_WARNING_MINIMUM = 3.0
    place_history(people["zones"], {ZUMIAO_GRID: RISING, NANZHUANG_GRID: [1] * 15})
    return people


@pytest.mark.django_db
def test_a_rising_grid_is_warned_once(warned):
    first = services.raise_warnings()
    assert [w.grid.code for w in first] == [ZUMIAO_GRID]
    assert first[0].forecast >= 2 * first[0].usual and first[0].town.code == ZUMIAO_GRID[:9]
    assert services.raise_warnings() == []  # the sweep again, or on another node: nothing twice
    assert EarlyWarning.objects.count() == 1


@pytest.mark.django_db
def test_may_see_a_warning_iff_pushed_it(warned):
    [warning] = services.raise_warnings()
    from gridops.realtime.models import Event

    event = Event.objects.get(kind="foresight.warning")
    for who, user in warned["users"].items():
        sees = warnings_visible_to(user).filter(pk=warning.pk).exists()
        pushed = bool(set(audiences_of(user)) & set(event.audiences))
        assert sees == pushed, who
    assert {"zumiao", "district", "worker_zm", "admin"} == {
        who for who, user in warned["users"].items() if warnings_visible_to(user).filter(pk=warning.pk).exists()}


@pytest.mark.django_db(transaction=True)
async def test_the_warning_reaches_the_owning_centres_socket(warned):
    users = warned["users"]
    sockets = {who: (await open_as(users[who]))[0] for who in ("zumiao", "nanzhuang", "district")}
    await database_sync_to_async(services.raise_warnings)()
    heard = {who: [m for m in await drain(s) if m["kind"].startswith("foresight.")] for who, s in sockets.items()}
    assert [m["payload"]["grid"] for m in heard["zumiao"]] == [warned["zones"][ZUMIAO_GRID].pk]
    assert len(heard["district"]) == 1 and heard["nanzhuang"] == []
    for communicator in sockets.values():
        await communicator.disconnect()


@pytest.mark.django_db
def test_acknowledge_is_idempotent_and_in_jurisdiction(warned):
    [warning] = services.raise_warnings()
    url = f"/api/v1/foresight/warnings/{warning.pk}/acknowledge/"
    assert signed_in(warned["users"]["nanzhuang"]).post(url, {}, content_type="application/json").status_code == 404
    zumiao = signed_in(warned["users"]["zumiao"])
    first = zumiao.post(url, {"note": "已安排巡查"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["acknowledged_by"] == "zumiao"
    again = signed_in(warned["users"]["district"]).post(url, {"note": "x"}, content_type="application/json")
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"] and again.json()["note"] == "已安排巡查"
    bad = zumiao.post(url, {"note": "x" * 300}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "note"
    listed = zumiao.get("/api/v1/foresight/warnings/?open=1").json()
    assert listed["count"] == 0
    assert zumiao.get("/api/v1/foresight/warnings/").json()["results"][0]["grid"] == ZUMIAO_GRID
