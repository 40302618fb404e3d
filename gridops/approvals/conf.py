"""Settings of the approvals app, read in one place (tests override them with `settings`)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def max_upload_bytes() -> int:
    """Largest accepted document (scans of a licence are rarely above a few megabytes)."""
    return int(_get("GRIDOPS_APPROVALS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))


def allowed_content_types() -> tuple[str, ...]:
    return tuple(_get("GRIDOPS_APPROVALS_CONTENT_TYPES", ("application/pdf", "image/jpeg", "image/png")))


def slot_minutes() -> int:
    """Length of a booking slot (预约时段)."""
    return int(_get("GRIDOPS_APPROVALS_SLOT_MINUTES", 30))


def bookings_per_counter_slot() -> int:
    """How many booked tickets one open counter takes per slot; the rest is left for walk-ins."""
    return int(_get("GRIDOPS_APPROVALS_BOOKINGS_PER_COUNTER_SLOT", 2))


def booking_days_ahead() -> int:
    return int(_get("GRIDOPS_APPROVALS_BOOKING_DAYS_AHEAD", 7))


def holidays() -> dict:
    """Statutory holidays and the weekend days worked in their place (调休), as ISO dates.

    Legal time limits count working days, so both lists matter; maintain them yearly from the
    State Council notice.
    """
    return _get("GRIDOPS_APPROVALS_HOLIDAYS", None) or DEFAULT_HOLIDAYS


def satisfaction_target() -> float:
    return float(_get("GRIDOPS_APPROVALS_SATISFACTION_TARGET", 0.99))


DEFAULT_HOLIDAYS = {
    "off": [
        "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02",
        "2025-02-03", "2025-02-04", "2025-04-04", "2025-04-05", "2025-04-06", "2025-05-01", "2025-05-02",
        "2025-05-03", "2025-05-04", "2025-05-05", "2025-05-31", "2025-06-01", "2025-06-02", "2025-10-01",
        "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08",
        "2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
        "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05",
        "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-06-19",
        "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02",
        "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07",
    ],
    "work": [
        "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ],
}
