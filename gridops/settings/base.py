"""Settings shared by every environment; everything variable comes from the environment.

Nothing here exists only in production: `local`, `test` and `production` override a few
values and nothing else.
"""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",  # OpClass in index expressions (the trigram index of incidents' address)
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files (CSP: no CDN)
    "rest_framework_api_key",  # its AbstractAPIKey underlies Open311 keys (its own APIKey is unused)
    "django_filters",
    "leaflet",
    "channels",
    # GridOps
    "gridops.core",
    "geodata",
    "gridops.accounts",
    "gridops.incidents",
    "gridops.incidents.open311",
    "gridops.realtime",
    "gridops.approvals",
    "gridops.education",
    "gridops.ledger",
    "gridops.emergency",
    "gridops.foresight",
    "gridops.sensors",
    # Pages (the top layer: they read the apps above, nothing reads them; docs/architecture.md)
    "gridops.console",
    "gridops.tablet",
    "gridops.screen",
    "gridops.ogc",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gridops.core.errors.MachineErrorShapeMiddleware",
    "gridops.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridops.core.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gridops.core.inputs.InputHygieneMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridops.core.dbrouter.ReplicaReadsMiddleware",
    "gridops.accounts.middleware.ReadOnlyRolesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridops.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "gridops.urls"
ASGI_APPLICATION = "gridops.asgi.application"
WSGI_APPLICATION = "gridops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.map_settings",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = "postgis://postgres@127.0.0.1:5432/gridops"


def _database(url: str) -> dict:
    settings_dict = dj_database_url.parse(
        url,
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        # No `SELECT 1` before every request (it showed in the profile under load): request
        # threads live as long as the process and keep their connection; one that died with a
        # PostgreSQL restart fails its request with 503 + Retry-After and is then replaced.
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", False),
    )
    # Whatever scheme the URL used (postgres://, postgresql://), GeoDjango needs the PostGIS engine.
    settings_dict["ENGINE"] = "django.contrib.gis.db.backends.postgis"
    settings_dict.setdefault("OPTIONS", {})["connect_timeout"] = int(env("DB_CONNECT_TIMEOUT", "5"))
    return settings_dict


DATABASES = {"default": _database(env("DATABASE_URL", DEFAULT_DATABASE_URL) or DEFAULT_DATABASE_URL)}
# A standby for lag-tolerant reads (gridops/core/dbrouter.py): tiles, KPIs, exports, Open311 GET.
# Without DATABASE_REPLICA_URL every read goes to `default`.
if env("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = _database(env("DATABASE_REPLICA_URL"))
DATABASE_ROUTERS = ["gridops.core.dbrouter.ReplicaRouter"]
# Views (URL names) whose GET may read the replica, and how long a user who wrote reads the primary.
GRIDOPS_REPLICA_READ_VIEWS = ["tile", "incident-kpis", "realtime-kpis", "incident-export", "education-export",
                              "open311-discovery", "open311-services", "open311-service", "open311-requests",
                              "open311-request"]
GRIDOPS_READ_YOUR_WRITES_SECONDS = int(env("GRIDOPS_READ_YOUR_WRITES_SECONDS", "10"))



def _bundled_gdal() -> str | None:
    """pyogrio's wheel bundles a current GDAL (3.12); GeoDjango uses the same library, so the
    process holds one GDAL, new enough (>= 3.9) to block file and network access from malicious
    spatial references. GDAL_LIBRARY_PATH in the environment overrides it."""
    import glob
    import importlib.util

    spec = importlib.util.find_spec("pyogrio")
    if spec is None or not spec.origin:
        return None
    site = Path(spec.origin).resolve().parent.parent
    found = sorted(glob.glob(str(site / "pyogrio.libs" / "libgdal*.so*")))
    return found[0] if found else None


GDAL_LIBRARY_PATH = env("GDAL_LIBRARY_PATH") or _bundled_gdal()

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# One namespace per environment for everything GridOps keeps in Redis (cache keys, channel groups,
# the event stream): tests, benches and the served demo on one machine never hear each other.
REDIS_NAMESPACE = env("CACHE_PREFIX", "gridops")
# redis-py 8 gives every connection a 5 s socket timeout, which cuts channels_redis's blocking
# BZPOPMIN (brpop_timeout = 5 s) and used to close every socket every 5 s (redis-py#4091,
# channels_redis#422). The read timeout must outlast the blocking pop; it stays finite so a dead
# Redis is still noticed.
CHANNEL_LAYER_BLOCK_SECONDS = 5
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": CHANNEL_LAYER_BLOCK_SECONDS + 10,
                       "socket_connect_timeout": 5}],
            "prefix": f"{REDIS_NAMESPACE}:asgi", "capacity": 5000, "expiry": 30,
        },
    }
}
CACHES = {
    "default": {
        # One client and one pool per process (Django would build a Redis client per call and
        # open a connection per request under ASGI): gridops/core/redis_pool.py.
        "BACKEND": "gridops.core.redis_pool.SharedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_NAMESPACE,
        "OPTIONS": {"pool_class": "gridops.core.redis_pool.SharedConnectionPool"},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Secure headers everywhere (Django's defaults, stated): nosniff, same-origin referrer, no framing.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# One catalogue per app (frontend/locale/<app>/), merged by Django: no shared .po to collide on.
LOCALE_PATHS = sorted((BASE_DIR / "frontend" / "locale").glob("*/"))
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
# Static files are served by WhiteNoise from STATIC_ROOT (`make` runs collectstatic); finders too,
# so a page added since the last collectstatic still works in development.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Production: nginx serves media from an `internal` location with this prefix (core/media.py).
GRIDOPS_MEDIA_ACCEL_REDIRECT = env("GRIDOPS_MEDIA_ACCEL_REDIRECT", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # DRF's token auth that also loads the profile (one query on the tablet's hot path).
        "gridops.accounts.authentication.ProfileTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # Our JSON parser: nested, oversized and NUL-bearing bodies are 4xx naming the field, not 500s.
    "DEFAULT_PARSER_CLASSES": [
        "gridops.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridops.core.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GridOps API",
    "DESCRIPTION": "Grid management and dispatch for Chancheng District",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # The error body and GeoJSON examples (lon, lat), once for every operation (gridops/core/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "gridops.core.schema.postprocess"],
    # One schema name per choice set, whichever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "gridops.incidents.models.Status",
        "IncidentPriorityEnum": "gridops.incidents.models.Priority",
        "IncidentSourceEnum": "gridops.incidents.models.Source",
        "CategoryKindEnum": "gridops.incidents.models.CategoryKind",
        "ApplicantKindEnum": "gridops.approvals.models.ApplicantKind",
        "TicketStatusEnum": "gridops.approvals.models.TicketStatus",
        "CaseStateEnum": "gridops.approvals.models.CaseState",
        "HallKindEnum": "gridops.approvals.models.HallKind",
        "PlanStatusEnum": "gridops.education.models.PlanStatus",
        "LedgerKindEnum": "gridops.ledger.models.Kind",
        "RoleEnum": "gridops.accounts.models.Role",
        "ZoneLevelEnum": "geodata.api.schema.LEVEL_NAMES",
    },
}

# Apps that add realtime audiences for their own roles (an operator hears their jurisdiction's
# incidents, a counter clerk their hall): named here so that realtime imports no domain app.
GRIDOPS_REALTIME_AUDIENCE_PROVIDERS = ["gridops.incidents.jurisdiction.realtime_audiences",
                                       "gridops.approvals.selectors.realtime_audiences"]

# Vector tile layers (/tiles/<name>/<z>/<x>/<y>.pbf) by dotted path: the tile server
# (geodata.tiles) is generic; each layer class lives with the data it draws.
GRIDOPS_TILE_LAYERS = {
    "zones": "gridops.incidents.tiles.ZoneCountsLayer",  # zone geometry + open/overdue counts when signed in
    "incidents": "gridops.incidents.tiles.IncidentLayer",
}
# OGC API – Features collections (/ogc/, gridops/ogc): id → where the features come from, by
# dotted path (a model, or a callable(user) → QuerySet that applies the app's own visibility),
# the geometry field, the feature id, the properties (name → ORM lookup), which of them may be
# filtered on (queryables), the time property (datetime=), the tile layer that draws them, and
# whether a signed-in user is required. The OGC app imports none of these apps.
_OGC_ZONE = {"source": "geodata.models.Zone", "geometry": "geom", "id": "code", "tiles": "zones",
             "properties": {"code": "code", "name": "name", "parent": "parent__code", "area_m2": "area_m2",
                            "residents": "residents", "households": "households"},
             "queryables": ["code", "name", "parent"]}
GRIDOPS_OGC_COLLECTIONS = {
    **{name: {**_OGC_ZONE, "title": title, "filter": {"level": level}}
       for level, (name, title) in enumerate([("district", "District (区)"), ("towns", "Towns (镇街)"),
                                              ("areas", "Areas (片区)"), ("villages", "Villages (村居)"),
                                              ("micro-grids", "Micro-grids (微网格)")])},
    "command-centres": {"title": "Command centres (指挥中心)", "source": "geodata.models.CommandCentre",
                        "geometry": "location", "id": "code", "queryables": ["code", "zone"],
                        "properties": {"code": "code", "name": "name", "zone": "zone__code"}},
    "schools": {"title": "Schools (学校)", "source": "gridops.education.models.School", "geometry": "location",
                "id": "code", "queryables": ["code", "level", "ownership", "planned"],
                "properties": {"code": "code", "name": "name", "level": "level", "ownership": "ownership",
                               "address": "address", "planned": "planned", "grid": "zone__code"}},
    "catchments": {"title": "School catchments, published plan (招生范围)",
                   "source": "gridops.education.selectors.published_catchments", "geometry": "catchment",
                   "id": "code", "queryables": ["code", "level"],
                   "properties": {"code": "code", "name": "name", "level": "level"}},
    "service-halls": {"title": "Service halls (便民服务大厅)", "source": "gridops.approvals.models.Hall",
                      "filter": {"is_active": True}, "geometry": "location", "id": "code",
                      "queryables": ["code", "kind", "zone"],
                      "properties": {"code": "code", "name": "name", "kind": "kind", "zone": "zone__code",
                                     "address": "address", "phone": "phone"}},
    "food-stalls": {"title": "Food-vendor stalls (食安菜妈)", "source": "gridops.ledger.models.Vendor",
                    "filter": {"active": True}, "geometry": "stall", "id": "code",
                    "queryables": ["code", "market", "grid"],
                    "properties": {"code": "code", "name": "name", "market": "market", "stall_no": "stall_no",
                                   "goods": "goods", "grid": "grid__code"}},
    "incidents": {"title": "Incidents (事件)", "source": "gridops.incidents.selectors.incidents_visible_to",
                  "private": True, "geometry": "point", "id": "id", "datetime": "reported_at", "tiles": "incidents",
                  "queryables": ["status", "priority", "category", "event_type", "town", "grid", "emergency"],
                  "properties": {"status": "status", "priority": "priority", "category": "category__code",
                                 "event_type": "event_type__code", "emergency": "emergency",
                                 "town": "town__code", "grid": "grid__code", "address": "address",
                                 "reported_at": "reported_at"}},
}
# Retention of the time-partitioned tables (gridops/core/partitioning.py), in days; 0 keeps all.
GRIDOPS_REALTIME_RETENTION_DAYS = int(env("GRIDOPS_REALTIME_RETENTION_DAYS", "14"))
# Pushes under load: a socket opened with `?batch=1` gets what is queued for it in one frame (at
# most BATCH_SIZE events); the process's stream reader waits COALESCE_MS after a read that brought
# several events, so a burst travels as a few frames rather than one frame per event per socket.
GRIDOPS_REALTIME_BATCH_SIZE = int(env("GRIDOPS_REALTIME_BATCH_SIZE", "200"))
GRIDOPS_REALTIME_COALESCE_MS = float(env("GRIDOPS_REALTIME_COALESCE_MS", "20"))
GRIDOPS_POSITION_RETENTION_DAYS = int(env("GRIDOPS_POSITION_RETENTION_DAYS", "90"))

# Fixed-window rate limits per client (gridops.core.ratelimit): "<count>/<s|m|h|d>" per scope.
GRIDOPS_RATE_LIMITS = {
    "login": env("GRIDOPS_RATE_LOGIN", "10/m"),                # per address + normalised account: page, token, admin
    "approvals.ticket": env("GRIDOPS_RATE_TICKETS", "30/m"),   # per address: tickets and bookings
    "open311.post": env("GRIDOPS_RATE_OPEN311_POST", "30/m"),  # per address
    "ledger.vendor_page": env("GRIDOPS_RATE_LEDGER_PAGE", "120/m"),
    "ledger.verify": env("GRIDOPS_RATE_LEDGER_VERIFY", "300/m"),  # public proofs, entries, export
    "ledger.notarise": env("GRIDOPS_RATE_LEDGER_NOTARISE", "60/m"),
    "ledger.identity": env("GRIDOPS_RATE_LEDGER_IDENTITY", "10/m"),
}

# The demo district (`make run`): the command centre's screen shows each figure beside the seed's
# value (办结率 98.56 %, satisfaction 95.69 %) only when this is on; local settings switch it on.
GRIDOPS_DEMO = env_bool("GRIDOPS_DEMO", False)
# Hot read paths (README "Reliability"): fixed hot SQL as prepared statements (off behind a
# transaction-pooling pgbouncer); how long a process trusts its reference generation and a token's
# user before asking Redis again, and the incident tiles' data version before asking PostgreSQL
# again unless it hears of an incident change first (0: ask every time).
GRIDOPS_PREPARED_STATEMENTS = env_bool("GRIDOPS_PREPARED_STATEMENTS", True)
GRIDOPS_REFERENCE_CHECK_SECONDS = float(env("GRIDOPS_REFERENCE_CHECK_SECONDS", "1"))
GRIDOPS_TOKEN_PROCESS_SECONDS = float(env("GRIDOPS_TOKEN_PROCESS_SECONDS", "1"))
GRIDOPS_TILE_VERSION_SECONDS = float(env("GRIDOPS_TILE_VERSION_SECONDS", "1"))

# Serving (`manage.py serve`, gridops/core/server.py): where, how many worker processes, which proxies
# may set X-Forwarded-For/-Proto, and how long an idle keep-alive connection stays open. Tablets and
# integrators pause for seconds between requests; uvicorn's own 5 s closed connections just as a
# client reused them (transport errors in the load test), so the default is well above any pause.
GRIDOPS_BIND_HOST = env("GRIDOPS_BIND_HOST", "127.0.0.1")
GRIDOPS_BIND_PORT = int(env("GRIDOPS_BIND_PORT", "8000"))
GRIDOPS_WEB_WORKERS = int(env("WEB_CONCURRENCY", "2"))
GRIDOPS_FORWARDED_ALLOW_IPS = env("FORWARDED_ALLOW_IPS", "127.0.0.1")
GRIDOPS_KEEP_ALIVE_SECONDS = int(env("GRIDOPS_KEEP_ALIVE_SECONDS", "75"))
# A worker process (why each default in gridops/asgi.py): its request threads; the cyclic collector's
# thresholds (empty: Python's 700,10,10); how long, in ms, a thread keeps the GIL while another
# waits for it (empty: Python's 5).
GRIDOPS_ASGI_THREADS = int(env("GRIDOPS_ASGI_THREADS", "4"))
GRIDOPS_GC_THRESHOLDS = tuple(int(x) for x in env("GRIDOPS_GC_THRESHOLDS", "10000,10,10").split(",") if x.strip())
GRIDOPS_GIL_SWITCH_MS = float(env("GRIDOPS_GIL_SWITCH_MS", "") or 0) or None

# Map: no basemap can be fetched on a closed network, so the default is none.
GRIDOPS_TILE_URL = env("GRIDOPS_TILE_URL", "")
GRIDOPS_TILE_ATTRIBUTION = env("GRIDOPS_TILE_ATTRIBUTION", "")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (23.0, 113.07),
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 9,
    "MAX_ZOOM": 19,
    # A basemap only when one is configured: pages work on a closed network with none.
    "TILES": [("basemap", GRIDOPS_TILE_URL, {"attribution": GRIDOPS_TILE_ATTRIBUTION})] if GRIDOPS_TILE_URL else [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
    "ATTRIBUTION_PREFIX": "GridOps",
    # Leaflet's control texts in the page's language, on every page with a map (js/leaflet_i18n.js).
    "PLUGINS": {"gridops-i18n": {"js": ["/jsi18n/", "js/leaflet_i18n.js"], "auto-include": True}},
}

LOG_LEVEL = (env("LOG_LEVEL", "") or "WARNING").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's own loggers write through the root handler only, at LOG_LEVEL: with Django's default
    # console handler kept as well, every 4xx line was written twice under DEBUG, and its INFO
    # level let "Conflict: ..." lines through a bench's LOG_LEVEL=ERROR.
    "loggers": {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}},
}
