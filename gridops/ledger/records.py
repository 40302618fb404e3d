"""The canonical leaf of each record kind: what exactly is logged, and nothing more.

A leaf is canonical JSON (sorted keys, no spaces, UTF-8, no floats beyond 7 decimals of degrees)
so anyone can rebuild it byte for byte from the record and compare hashes. Each builder lists the
fields deliberately: an identity leaf holds a commitment and never the ID number; a check-in leaf
names the case number, not the person.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timezone

RECORD_VERSION = 1


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def leaf_bytes(kind: str, record: dict, ts: str) -> bytes:
    """The logged bytes: the record plus its kind, format version and timestamp."""
    reserved = {"kind", "v", "ts"} & set(record)
    if reserved:
        raise ValueError(f"record must not carry {sorted(reserved)}")
    return canonical_json({**record, "kind": kind, "v": RECORD_VERSION, "ts": ts})


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lonlat(point) -> list[float]:
    return [round(point.x, 7), round(point.y, 7)]


def new_salt() -> str:
    return secrets.token_hex(16)


def id_commitment(id_number: str, salt: str) -> str:
    """HMAC-SHA256 keyed by the per-record salt: binding, and hiding a low-entropy ID number."""
    normalised = id_number.strip().upper().encode("utf-8")
    return hmac.new(bytes.fromhex(salt), normalised, hashlib.sha256).hexdigest()


def identity_record(att) -> dict:
    return {"account": att.user_id, "commitment": att.commitment, "method": att.method}


def vendor_record(vendor) -> dict:
    return {
        "code": vendor.code,
        "name": vendor.name,
        "licence_no": vendor.licence_no,
        "market": vendor.market,
        "stall_no": vendor.stall_no,
        "stall": lonlat(vendor.stall),
        "goods": vendor.goods,
        "active": vendor.active,
    }


def checkin_record(checkin) -> dict:
    return {
        "case_no": checkin.person.case_no,
        "point": lonlat(checkin.point),
        "at": utc_iso(checkin.at),
        "inside_geofence": checkin.inside_geofence,
        "curfew_breach": checkin.curfew_breach,
        "reasons": list(checkin.reasons),
        "grid": checkin.grid.code if checkin.grid_id else None,
    }


def notary_record(sha256: str, title: str) -> dict:
    return {"sha256": sha256, "title": title}
