"""Settings of the education app, read once (override them in tests with `settings`)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def base_year() -> int:
    """The year the children counts were taken (the demo's census year)."""
    return int(_get("GRIDOPS_EDUCATION_BASE_YEAR", 2025))


def projection_horizon() -> int:
    """How many years ahead a planner may project (births beyond it are guesswork)."""
    return int(_get("GRIDOPS_EDUCATION_HORIZON", 9))


def default_birth_rate() -> float:
    """Births per 1,000 residents per year (Foshan's recent figure is near 9‰)."""
    return float(_get("GRIDOPS_EDUCATION_BIRTH_RATE", 8.5))


def default_migration() -> dict:
    """Net migration of children per year, as a fraction, by hukou status and by town code.

    The old town (祖庙) loses families; the outer towns (南庄, 张槎) gain migrant families.
    """
    return _get("GRIDOPS_EDUCATION_MIGRATION", {
        "hukou": 0.0,
        "non_hukou": 0.01,
        "towns": {
            "440604001": {"hukou": 0.0, "non_hukou": -0.01},
            "440604003": {"hukou": 0.01, "non_hukou": 0.03},
            "440604101": {"hukou": 0.02, "non_hukou": 0.05},
        },
    })


def class_size(level: str) -> int:
    """Standard class sizes (国家标准: 小学 45, 初中 50)."""
    return int(_get("GRIDOPS_EDUCATION_CLASS_SIZE", {"primary": 45, "junior": 50})[level])


def max_whatif_moves() -> int:
    return int(_get("GRIDOPS_EDUCATION_MAX_WHATIF_MOVES", 20000))


def max_upload_bytes() -> int:
    return int(_get("GRIDOPS_EDUCATION_MAX_UPLOAD", 20 * 1024 * 1024))
