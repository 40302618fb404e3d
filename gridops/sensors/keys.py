"""Device keys for the HTTP endpoint: the device a request's `Authorization: Api-Key …` speaks for."""
from __future__ import annotations

from rest_framework_api_key.permissions import KeyParser

from gridops.core.errors import Forbidden, NotAuthenticated

from .models import Device, DeviceKey

_parser = KeyParser()


def device_for(request) -> Device:
    """401 without a key; 403 for an unknown, revoked or expired key or an inactive device."""
    raw = _parser.get(request)
    if not raw:
        raise NotAuthenticated("a device key is required (Authorization: Api-Key <key>)")
    try:  # the library's lookup: usable keys only (not revoked, not expired), hash checked
        key = DeviceKey.objects.get_from_key(raw)
    except DeviceKey.DoesNotExist:
        key = None
    if key is None or not key.device.active:
        raise Forbidden("the device key is invalid, revoked or expired")
    return key.device


def key_issue(device: Device) -> str:
    """A new key for the device; the raw key is returned once and never stored."""
    _key, raw = DeviceKey.objects.create_key(name=device.code, device=device)
    return raw
