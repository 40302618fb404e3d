"""Test settings: the real PostGIS and Redis, fast password hashing.

Tests get a Redis namespace of their own (`<CACHE_PREFIX>-test`, and one per xdist worker), so a
test run never pushes into, nor reads the cache of, a server started with the same CACHE_PREFIX.
"""
from .base import *  # noqa: F401,F403
from .base import CACHES, CHANNEL_LAYERS, DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIS_NAMESPACE = "-".join(filter(None, (env("CACHE_PREFIX", "gridops"), "test", env("PYTEST_XDIST_WORKER"))))
CACHES["default"]["KEY_PREFIX"] = REDIS_NAMESPACE
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{REDIS_NAMESPACE}:asgi"

# A second alias on the same test database (Django's TEST MIRROR), so the database router's
# decisions are tested against a real connection (tests/core/test_dbrouter.py). No view reads
# it unless a test names views in GRIDOPS_REPLICA_READ_VIEWS: the mirror's own connection does
# not see a test's uncommitted rows.
if "replica" not in DATABASES:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
GRIDOPS_REPLICA_READ_VIEWS: list[str] = []

# The incident tiles' data version is read on every call, as a test that writes rows and then
# asks for a tile expects; tests/incidents/test_tile_version*.py switch the remembering on (the
# live-server test through the environment of its server).
GRIDOPS_TILE_VERSION_SECONDS = float(env("GRIDOPS_TILE_VERSION_SECONDS", "0"))
