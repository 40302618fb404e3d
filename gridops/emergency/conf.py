"""Emergency-response settings, read in one place so tests can override them."""
from django.conf import settings

# Minutes each worker has to acknowledge a declared emergency, by kind (GRIDOPS_EMERGENCY_ACK_MINUTES).
ACK_MINUTES = {"typhoon": 15, "flood": 15, "accident": 10, "public_order": 10}


def ack_minutes() -> dict[str, float]:
    return {**ACK_MINUTES, **getattr(settings, "GRIDOPS_EMERGENCY_ACK_MINUTES", {})}


def on_duty_minutes() -> float:
    """A worker whose latest position is older than this is not on duty (nearest-worker search)."""
    return float(getattr(settings, "GRIDOPS_EMERGENCY_ON_DUTY_MINUTES", 30))


def buffer_max_m() -> float:
    return float(getattr(settings, "GRIDOPS_EMERGENCY_BUFFER_MAX_M", 20_000))


def nearest_max_k() -> int:
    return int(getattr(settings, "GRIDOPS_EMERGENCY_NEAREST_MAX_K", 50))
