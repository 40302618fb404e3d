"""Spatial-core settings, read in one place so tests can override them."""
from django.conf import settings


def locate_batch_limit() -> int:
    return int(getattr(settings, "GRIDOPS_LOCATE_BATCH_LIMIT", 10_000))
