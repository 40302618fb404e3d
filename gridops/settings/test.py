"""Test settings: the real PostGIS and Redis, fast password hashing.

Tests get a Redis namespace of their own (`<CACHE_PREFIX>-test`, and one per xdist worker), so a
test run never pushes into, nor reads the cache of, a server started with the same CACHE_PREFIX.
"""
from .base import *  # noqa: F401,F403
from .base import CACHES, CHANNEL_LAYERS, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIS_NAMESPACE = "-".join(filter(None, (env("CACHE_PREFIX", "gridops"), "test", env("PYTEST_XDIST_WORKER"))))
CACHES["default"]["KEY_PREFIX"] = REDIS_NAMESPACE
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{REDIS_NAMESPACE}:asgi"
