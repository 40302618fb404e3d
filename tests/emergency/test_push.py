"""Emergency pushes over the one events socket (real ASGI app, Redis, PostGIS): the tasked
worker's tablet hears the task, live or by catch-up after being offline; the operators of the
zones hear the acknowledgements; nobody else hears anything."""
import pytest
from channels.db import database_sync_to_async

from gridops.emergency import services
from gridops.emergency.models import Task
from gridops.realtime.selectors import latest_event_id
from tests.realtime.test_consumers import drain, open_as

from .conftest import ZUMIAO_BOX

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def declare(user):
    emergency, _ = services.emergency_declare(user=user, kind="typhoon", title="台风", area={"polygon": ZUMIAO_BOX})
    return emergency


@database_sync_to_async
def acknowledge(emergency, user):
    task = Task.objects.get(emergency=emergency, worker=user)
    return services.task_advance(user=user, task_id=task.pk, status="acknowledged")


async def test_task_reaches_the_worker_and_acknowledgement_reaches_the_zone_operators(people):
    users = people["users"]
    sockets = {who: (await open_as(users[who]))[0] for who in ("worker_zm", "worker_nz", "zumiao", "nanzhuang", "district")}
    emergency = await declare(users["district"])
    heard = {who: [m["kind"] for m in await drain(s)] for who, s in sockets.items()}
    assert heard == {"worker_zm": ["emergency.declared"], "worker_nz": [], "zumiao": ["emergency.declared"],
                     "nanzhuang": [], "district": ["emergency.declared"]}
    await acknowledge(emergency, users["worker_zm"])
    heard = {who: await drain(s) for who, s in sockets.items()}
    for who in ("zumiao", "district", "worker_zm"):
        [message] = heard[who]
        assert message["kind"] == "emergency.task" and message["payload"]["task"]["status"] == "acknowledged"
    assert heard["nanzhuang"] == [] and heard["worker_nz"] == []
    for communicator in sockets.values():
        await communicator.disconnect()


async def test_an_offline_tablet_catches_the_task_up_by_event_id(people):
    users = people["users"]
    last_seen = await database_sync_to_async(latest_event_id)()
    emergency = await declare(users["district"])
    communicator, _ = await open_as(users["worker_zm"], last_id=last_seen)
    messages = await drain(communicator)
    assert [m["kind"] for m in messages] == ["emergency.declared"]
    assert messages[0]["payload"]["emergency"]["id"] == emergency.pk
    assert messages[0]["payload"]["worker_ids"] == [users["worker_zm"].pk]
    await communicator.disconnect()
