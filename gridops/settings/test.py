"""Test settings: the real PostGIS and Redis, fast password hashing."""
from .base import *  # noqa: F401,F403
from .base import CACHES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = env("CACHE_PREFIX", "gridops-test")
