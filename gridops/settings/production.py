"""Production: secrets only from the environment, secure cookies and headers."""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env_list

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
if SECRET_KEY == "dev-only-insecure-key-change-me" or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be a random secret of at least 50 characters, not the development default")
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (no default database)")
# The hosts this deployment answers for, named explicitly (no development defaults).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) this deployment serves")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
GRIDOPS_DEMO = False  # the demo district's figures are never shown beside production data
GRIDOPS_ALLOW_DEMO = False  # `manage.py load_demo` (published demo passwords) refuses to run
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
