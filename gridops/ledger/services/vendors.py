"""Food vendors: registered and changed by operators, every version certified by a log entry."""
from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from geodata.coords import input_point
from gridops.accounts.selectors import role_of
from gridops.core import authz
from gridops.core.errors import Forbidden, InvalidInput

from .. import records, selectors
from ..models import Kind, Vendor
from .log import append_record


def _check_registrar(actor) -> None:
    if role_of(actor) not in selectors.VENDOR_REGISTRARS:
        raise Forbidden("only operators and department staff register food vendors")


def _new_vendor_code() -> str:
    return "V" + secrets.token_hex(5).upper()


_VENDOR_FIELDS = {"name": 64, "licence_no": 40, "market": 64, "stall_no": 24, "goods": 64}


def _clean_vendor_fields(data: dict, *, partial: bool) -> dict:
    cleaned = {}
    for name, limit in _VENDOR_FIELDS.items():
        if name not in data:
            if not partial and name != "goods":
                raise InvalidInput(f"{name} is required", field=name)
            continue
        value = str(data[name] or "").strip()
        if not value and name != "goods":
            raise InvalidInput(f"{name} must not be empty", field=name)
        if len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
        cleaned[name] = value
    return cleaned


def vendor_register(*, actor, data: dict) -> Vendor:
    point, _ = input_point(data.get("lon"), data.get("lat"), data.get("crs"))
    _check_registrar(actor)
    authz.require_in_jurisdiction(actor, point, field="lon")
    fields = _clean_vendor_fields(data, partial=False)
    vendor = Vendor(code=_new_vendor_code(), stall=point, grid=selectors.grid_at(point), registered_by=actor, **fields)
    return _certify_vendor(vendor)


def vendor_update(*, actor, vendor: Vendor, data: dict) -> Vendor:
    """Change a vendor (new stall, renewed licence, withdrawal): certified by a new entry.

    Checked before anything changes: the vendor as it is stored must be the actor's to act on,
    and so must the new stall when it moves (a 祖庙 operator cannot take over a 南庄 vendor by
    sending a 祖庙 point with the edit)."""
    _check_registrar(actor)
    authz.require_may_act(actor, vendor)
    if "lon" in data or "lat" in data:
        stall, _ = input_point(data.get("lon", vendor.stall.x), data.get("lat", vendor.stall.y), data.get("crs"))
        authz.require_in_jurisdiction(actor, stall, field="lon")
        vendor.stall, vendor.grid = stall, selectors.grid_at(stall)
    for name, value in _clean_vendor_fields(data, partial=True).items():
        setattr(vendor, name, value)
    if "active" in data:
        vendor.active = bool(data["active"])
    return _certify_vendor(vendor)


def _certify_vendor(vendor: Vendor) -> Vendor:
    with transaction.atomic():
        vendor.updated_at = timezone.now()
        vendor.entry = append_record(Kind.VENDOR, records.vendor_record(vendor), created_at=vendor.updated_at)
        vendor.save()
    return vendor
