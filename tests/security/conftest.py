"""One security world per module, rolled back at its end; each test runs in a savepoint inside it."""
import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import override_settings

from .world import build_world


@pytest.fixture(scope="module")
def keep_connection():
    """Calls through the raw WSGI app would close the test's connection at the end of each request
    (Django's test client disconnects the same handlers)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def shared_world(keep_connection, django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        with transaction.atomic():
            world = build_world()
            yield world
            transaction.set_rollback(True)
