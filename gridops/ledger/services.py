"""Writes of the ledger: appending to the log, signing tree heads, and the four record kinds.

Appends are serialised by a PostgreSQL advisory transaction lock, so two concurrent appends
can never take the same index (the primary key would refuse it anyway) and the node table is
always the exact tree of the committed entries. An append writes its entry, its leaf node and
every complete subtree it closes (at most log2 n nodes), reading only the O(log n) frontier.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from geodata.coords import to_wgs84
from geodata.models import Zone
from geodata.selectors import locate_point
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import authz, clock
from gridops.core.errors import Forbidden, InvalidInput, NotAuthenticated
from gridops.core.services import audit_record

from . import conf, merkle, records, rules, selectors, verify
from .models import CheckIn, Entry, IdentityAttestation, Kind, Notarisation, SupervisedPerson, TreeHead, Vendor

logger = logging.getLogger(__name__)

APPEND_LOCK = 0x6C6564676572  # "ledger": one log per database, one writer at a time
IDENTITY_ATTESTERS = frozenset({Role.DISTRICT_OPERATOR, Role.COUNTER_CLERK})
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


# --- the log ------------------------------------------------------------------------------------


def _lock(cur) -> None:
    cur.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])


def _frontier(cur, size: int) -> dict[tuple[int, int], bytes]:
    """The right-edge complete subtrees of a tree of `size` leaves: all an append can need."""
    keys = [(level, (size >> level) - 1) for level in range(size.bit_length()) if (size >> level) & 1]
    if not keys:
        return {}
    cur.execute(
        "SELECT n.level, n.index, n.hash FROM ledger_node n "
        "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, index) USING (level, index)",
        [[k[0] for k in keys], [k[1] for k in keys]],
    )
    return {(level, index): bytes(value) for level, index, value in cur.fetchall()}


def append_leaves(items: Sequence[tuple[str, bytes]], *, created_at: datetime | None = None) -> list[Entry]:
    """Append raw leaves `(kind, leaf bytes)` in order, in one transaction; returns the entries."""
    if not items:
        return []
    created_at = created_at or timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        cur.execute("SELECT coalesce(max(index) + 1, 0) FROM ledger_entry")
        size = int(cur.fetchone()[0])
        nodes = _frontier(cur, size)
        entry_rows, node_rows, entries = [], [], []
        for kind, leaf in items:
            digest = merkle.leaf_hash(leaf)
            index, level, acc = size, 0, digest
            node_rows.append((0, index, digest))
            nodes[(0, index)] = digest
            while index & 1:
                acc = merkle.node_hash(nodes[(level, index - 1)], acc)
                level, index = level + 1, index >> 1
                nodes[(level, index)] = acc
                node_rows.append((level, index, acc))
            entry_rows.append((size, kind, leaf, digest, created_at))
            entry = Entry(index=size, kind=kind, leaf=leaf, leaf_hash=digest, created_at=created_at)
            entry._state.adding, entry._state.db = False, "default"
            entries.append(entry)
            size += 1
        raw = cur.cursor
        execute_values(raw, "INSERT INTO ledger_entry (index, kind, leaf, leaf_hash, created_at) VALUES %s", entry_rows)
        execute_values(raw, "INSERT INTO ledger_node (level, index, hash) VALUES %s", node_rows, page_size=1000)
    return entries


def append_record(kind: str, record: dict, *, created_at: datetime | None = None) -> Entry:
    created_at = created_at or timezone.now()
    leaf = records.leaf_bytes(kind, record, records.utc_iso(created_at))
    return append_leaves([(kind, leaf)], created_at=created_at)[0]


def sign_head() -> TreeHead:
    """Sign the log as it is now (size, root, time); serialised with appends, so heads only grow."""
    key = conf.signing_key()
    with transaction.atomic(), connection.cursor() as cur:
        _lock(cur)
        size = selectors.tree_size()
        root = selectors.root_at(size)
        last = selectors.latest_head()
        timestamp_ms = int(time.time() * 1000)
        if last is not None and timestamp_ms <= last.timestamp_ms:
            timestamp_ms = last.timestamp_ms + 1  # heads are strictly ordered in time too
        signature = key.sign(verify.head_bytes(size, timestamp_ms, root))
        head = TreeHead.objects.create(
            tree_size=size, root_hash=root, timestamp_ms=timestamp_ms, signature=signature,
            key_id=verify.key_id(key.public_key()),
        )
        # Every use of the signing key is on the audit trail (the worker signs: no actor).
        audit_record(actor=None, action="ledger.sign_head", target=head, detail={"key_id": head.key_id, "tree_size": size})
        return head


def sign_if_grown() -> TreeHead | None:
    """Worker tick: a new signed head whenever the log grew since the last one (or has none)."""
    last = selectors.latest_head()
    if last is not None and last.tree_size >= selectors.tree_size():
        return None
    return sign_head()


# --- notarisation -------------------------------------------------------------------------------


def notarise(*, user, sha256: str, title: str = "") -> tuple[Notarisation, dict]:
    """Log a document's SHA-256 and return at once a receipt proved against a fresh signed head."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("log in to notarise a document")
    digest = (sha256 or "").strip().lower()
    if not SHA256_RE.match(digest):
        raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
    title = (title or "").strip()
    if len(title) > 120:
        raise InvalidInput("title is longer than 120 characters", field="title")
    created_at = timezone.now()
    leaf = records.leaf_bytes(Kind.NOTARY, records.notary_record(digest, title), records.utc_iso(created_at))

    def record(entry: Entry) -> Notarisation:
        return Notarisation.objects.create(
            sha256=digest, title=title, submitted_by=user, submitted_at=created_at, entry=entry
        )

    if connection.in_atomic_block:  # inside a caller's transaction: append and sign right here
        entry = append_leaves([(Kind.NOTARY, leaf)], created_at=created_at)[0]
        notarisation, head = record(entry), sign_head()
    else:  # a request on its own: group-committed with concurrent ones (see sequencer.py)
        from .sequencer import sequencer

        entry, head, notarisation = sequencer.submit(Kind.NOTARY, leaf, then=record)
    return notarisation, selectors.receipt(entry, head)


# --- identity attestation -----------------------------------------------------------------------

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def valid_resident_id(number: str) -> bool:
    """A mainland resident ID (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check character."""
    number = (number or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def require_attester(actor) -> None:
    """403 unless the actor attests identities; asked before any account is looked up, so the
    answer to anyone else says nothing about which accounts exist."""
    if role_of(actor) not in IDENTITY_ATTESTERS:
        raise Forbidden("only counter clerks and district operators attest identities")


def identity_attest(*, actor, subject, id_number: str, method: str = "counter") -> IdentityAttestation:
    """Attest that `subject`'s account belongs to the holder of `id_number` (checked in person)."""
    require_attester(actor)
    if not valid_resident_id(id_number):
        raise InvalidInput("not a valid 18-character resident ID number", field="id_number")
    if method not in {"counter", "app", "face"}:
        raise InvalidInput("method must be counter, app or face", field="method")
    salt = records.new_salt()
    attestation = IdentityAttestation(
        user=subject, commitment=records.id_commitment(id_number, salt), salt=salt, method=method,
        attested_by=actor, attested_at=timezone.now(),
    )
    with transaction.atomic():
        attestation.entry = append_record(Kind.IDENTITY, records.identity_record(attestation), created_at=attestation.attested_at)
        attestation.save()
    return attestation


def identity_matches(*, user, id_number: str) -> bool:
    """Whether the presented ID number opens the user's latest commitment."""
    attestation = IdentityAttestation.objects.filter(user=user).order_by("-attested_at").first()
    if attestation is None:
        return False
    import hmac

    return hmac.compare_digest(records.id_commitment(id_number, attestation.salt), attestation.commitment)


# --- food vendors -------------------------------------------------------------------------------


def _point(lon, lat, crs: str | None) -> Point:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise InvalidInput("lon and lat must be numbers", field="lon") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon/lat outside the globe", field="lon")
    try:
        lon, lat = to_wgs84(lon, lat, crs or "wgs84")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="crs") from None
    return Point(lon, lat, srid=4326)


def _grid_at(point: Point) -> Zone | None:
    located = locate_point(point.x, point.y)
    return None if located is None else located.grid


def _check_registrar(actor) -> None:
    if role_of(actor) not in selectors.VENDOR_REGISTRARS:
        raise Forbidden("only operators and department staff register food vendors")


def _new_vendor_code() -> str:
    import secrets

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
    point = _point(data.get("lon"), data.get("lat"), data.get("crs"))
    _check_registrar(actor)
    authz.require_in_jurisdiction(actor, point, field="lon")
    fields = _clean_vendor_fields(data, partial=False)
    vendor = Vendor(code=_new_vendor_code(), stall=point, grid=_grid_at(point), registered_by=actor, **fields)
    return _certify_vendor(vendor)


def vendor_update(*, actor, vendor: Vendor, data: dict) -> Vendor:
    """Change a vendor (new stall, renewed licence, withdrawal): certified by a new entry.

    Checked before anything changes: the vendor as it is stored must be the actor's to act on,
    and so must the new stall when it moves (a 祖庙 operator cannot take over a 南庄 vendor by
    sending a 祖庙 point with the edit)."""
    _check_registrar(actor)
    authz.require_may_act(actor, vendor)
    if "lon" in data or "lat" in data:
        stall = _point(data.get("lon", vendor.stall.x), data.get("lat", vendor.stall.y), data.get("crs"))
        authz.require_in_jurisdiction(actor, stall, field="lon")
        vendor.stall, vendor.grid = stall, _grid_at(stall)
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


# --- community corrections ----------------------------------------------------------------------


def _parse_time(value, field: str):
    if value in (None, ""):
        return None
    from datetime import time as dtime

    try:
        return value if isinstance(value, dtime) else dtime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a time like 22:00", field=field) from None


def _whole_number(value, field: str, default: int, low: int = 0, high: int = 2**31 - 1) -> int:
    """A whole number within the column's range: bad text or an out-of-range value is a 400, not a 500."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a whole number", field=field) from None
    if not low <= number <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}", field=field)
    return number


def supervision_create(*, actor, data: dict) -> SupervisedPerson:
    """A justice officer puts a person under supervision with a geofence and curfew."""
    selectors.require_justice(actor)
    case_no = str(data.get("case_no") or "").strip()
    name = str(data.get("name") or "").strip()
    if not case_no or len(case_no) > 32:
        raise InvalidInput("case_no is required (at most 32 characters)", field="case_no")
    if not name or len(name) > 32:
        raise InvalidInput("name is required (at most 32 characters)", field="name")
    if SupervisedPerson.objects.filter(case_no=case_no).exists():
        raise InvalidInput(f"case {case_no} already exists", field="case_no")
    codes = data.get("zone_codes") or []
    if not isinstance(codes, list) or not codes:
        raise InvalidInput("zone_codes must list the zones the person may be in", field="zone_codes")
    zones = list(Zone.objects.filter(code__in=[str(c) for c in codes]))
    if len(zones) != len(set(map(str, codes))):
        missing = sorted(set(map(str, codes)) - {z.code for z in zones})
        raise InvalidInput(f"unknown zone {missing[0]}", field="zone_codes")
    home = None
    if data.get("home_lon") is not None or data.get("home_lat") is not None:
        home = _point(data.get("home_lon"), data.get("home_lat"), data.get("crs"))
    user = None
    if data.get("user_id") is not None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=_whole_number(data["user_id"], "user_id", 0)).first()
        if user is None:
            raise InvalidInput("no such user", field="user_id")
    with transaction.atomic():
        person = SupervisedPerson.objects.create(
            case_no=case_no, name=name, user=user, officer=actor, home=home,
            home_radius_m=_whole_number(data.get("home_radius_m"), "home_radius_m", 200, 1, 100_000),
            curfew_start=_parse_time(data.get("curfew_start"), "curfew_start"),
            curfew_end=_parse_time(data.get("curfew_end"), "curfew_end"),
        )
        person.allowed_zones.set(zones)
    return person


def _home_distance_m(person: SupervisedPerson, point: Point) -> float | None:
    if person.home is None:
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Distance(ST_GeomFromEWKB(%s)::geography, ST_GeomFromEWKB(%s)::geography)",
            [bytes(person.home.ewkb), bytes(point.ewkb)],
        )
        return float(cur.fetchone()[0])


def checkin_submit(*, actor, person: SupervisedPerson, lon, lat, at=None, crs: str | None = None, accuracy_m=None,
                   received_at: datetime | None = None) -> CheckIn:
    """Record a check-in: judged against geofence and curfew, logged whatever the verdict,
    and pushed live to the justice officers.

    `received_at` is the server's time of arrival; only a backfill of history (the demo) passes
    it, so that a check-in of three days ago is judged as it would have been then."""
    authz.require_may_act(actor, person)  # the person themselves, or a justice officer
    if not person.active:
        raise InvalidInput("this supervision has ended", field="person")
    point = _point(lon, lat, crs)
    now = received_at or timezone.now()
    officer = role_of(actor) == Role.JUSTICE_OFFICER
    if not officer:
        # The person's own phone only *claims* a time (kept, within `core.clock`'s bounds); the
        # server's clock judges curfew and term, or a phone set back to 20:00 would turn a
        # 23:30 check-in away from home into a permitted one.
        at = clock.device_time(at, now=now, field="at") or now
    if at in (None, ""):
        at = now
    elif not isinstance(at, datetime):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(str(at))
        except ValueError:  # well formed but impossible, e.g. 30 February
            parsed = None
        if parsed is None or timezone.is_naive(parsed):
            raise InvalidInput("at must be an ISO 8601 time with a zone", field="at")
        at = parsed
    if at > now + timezone.timedelta(minutes=5):
        raise InvalidInput("at is in the future", field="at")
    if accuracy_m not in (None, ""):
        try:
            accuracy_m = float(accuracy_m)
        except (TypeError, ValueError):
            raise InvalidInput("accuracy_m must be a number", field="accuracy_m") from None
    else:
        accuracy_m = None
    local = timezone.localtime(at if officer else now)  # an officer records a visit at its time
    inside = person.allowed_zones.filter(geom__intersects=point).exists()
    verdict = rules.judge_checkin(
        inside_geofence=inside, local_time=local.time(), local_date=local.date(),
        curfew_start=person.curfew_start, curfew_end=person.curfew_end,
        home_distance_m=_home_distance_m(person, point), home_radius_m=person.home_radius_m,
        accuracy_m=accuracy_m, term_start=person.starts_on, term_end=person.ends_on,
    )
    checkin = CheckIn(
        person=person, point=point, accuracy_m=accuracy_m, at=at, received_at=now,
        inside_geofence=verdict.inside_geofence, curfew_breach=verdict.curfew_breach,
        flagged=verdict.flagged, reasons=verdict.reasons, grid=_grid_at(point),
    )
    with transaction.atomic():
        checkin.entry = append_record(Kind.CHECKIN, records.checkin_record(checkin), created_at=now)
        checkin.save()
        _publish_checkin(checkin)
    return checkin


def _publish_checkin(checkin: CheckIn) -> None:
    from gridops.realtime.services import publish_event

    publish_event(
        kind="ledger.checkin",
        payload={
            "id": checkin.pk, "case_no": checkin.person.case_no, "name": checkin.person.name,
            "lon": checkin.point.x, "lat": checkin.point.y, "at": checkin.at.isoformat(),
            "flagged": checkin.flagged, "reasons": checkin.reasons, "entry": checkin.entry_id,
        },
        audiences=["justice"],
        restricted=True,  # personal data: justice officers only, not the district centre
    )
