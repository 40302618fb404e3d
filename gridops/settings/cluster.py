"""The multi-node cluster of `make cluster` (deploy/cluster/): production settings over plain HTTP.

Everything else (database, read replica, Redis, secret, hosts) comes from the environment that
deploy/cluster/cluster.sh writes. The one difference from production: the cluster on one machine
speaks plain HTTP behind HAProxy, where a real deployment terminates TLS at the balancer.
"""
from .production import *  # noqa: F401,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
