"""Reads of the ledger: tree state, proofs from the stored node table, receipts, visibility.

A proof never re-reads the log: `merkle.inclusion_ranges` / `consistency_ranges` say which leaf
ranges the proof needs, each range is a handful of aligned complete subtrees, and all of those
`(level, index)` nodes are fetched in one indexed query — O(log n) rows whatever the log size.
"""
from __future__ import annotations

import base64
import json

from django.db import connection
from django.db.models import QuerySet

from geodata.models import Zone
from geodata.selectors import locate_point
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of, within_jurisdiction
from gridops.core.errors import Forbidden, InvalidInput, NotFound

from . import conf, merkle, verify
from .models import RESTRICTED_KINDS, CheckIn, Entry, SupervisedPerson, TreeHead, Vendor

JUSTICE_ROLES = frozenset({Role.JUSTICE_OFFICER})
VENDOR_REGISTRARS = frozenset({Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.DEPARTMENT_HANDLER})
AUDITOR_ROLES = frozenset({Role.DISTRICT_OPERATOR, Role.JUSTICE_OFFICER})


def tree_size() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(index) + 1, 0) FROM ledger_entry")
        return int(cur.fetchone()[0])


def fetch_nodes(keys) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the given complete subtrees, in one query."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT n.level, n.index, n.hash FROM ledger_node n "
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, index) USING (level, index)",
            [[k[0] for k in keys], [k[1] for k in keys]],
        )
        found = {(level, index): bytes(value) for level, index, value in cur.fetchall()}
    missing = [k for k in keys if k not in found]
    if missing:
        raise NotFound(f"tree node {missing[0]} is not stored; the log is incomplete", code="ledger_incomplete")
    return found


def _hashes_of_ranges(ranges: list[tuple[int, int]]) -> list[bytes]:
    nodes = fetch_nodes(key for start, end in ranges for key in merkle.complete_subtrees(start, end))
    lookup = lambda level, index: nodes[(level, index)]  # noqa: E731
    return [merkle.range_hash(start, end, lookup) for start, end in ranges]


def root_at(size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return _hashes_of_ranges([(0, size)])[0]


def _check_size(size: int, current: int | None = None, field: str = "tree_size") -> int:
    current = tree_size() if current is None else current
    if size < 0 or size > current:
        raise InvalidInput(f"tree size {size} is outside the log (0..{current})", field=field)
    return size


def inclusion_proof(index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise InvalidInput(f"entry {index} is not in a tree of size {size}", field="tree_size")
    return _hashes_of_ranges(merkle.inclusion_ranges(index, size))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    if not 0 <= old_size <= new_size:
        raise InvalidInput("the first size must not exceed the second", field="first")
    _check_size(new_size, field="second")
    return _hashes_of_ranges(merkle.consistency_ranges(old_size, new_size))


# --- heads ---------------------------------------------------------------------------------------


def latest_head() -> TreeHead | None:
    return TreeHead.objects.order_by("-tree_size", "-id").first()


def head_covering(index: int) -> TreeHead | None:
    """The oldest signed head that includes entry `index` (a receipt needs no newer one)."""
    return TreeHead.objects.filter(tree_size__gt=index).order_by("tree_size", "id").first()


def head_with_size(size: int) -> TreeHead:
    head = TreeHead.objects.filter(tree_size=size).order_by("-id").first()
    if head is None:
        raise NotFound(f"no signed tree head of size {size}", field="tree_size")
    return head


def head_json(head: TreeHead) -> dict:
    return {
        "tree_size": head.tree_size,
        "root_hash": bytes(head.root_hash).hex(),
        "timestamp_ms": head.timestamp_ms,
        "signature": base64.b64encode(bytes(head.signature)).decode(),
        "key_id": head.key_id,
    }


def public_key_json() -> dict:
    public = conf.signing_key().public_key()
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(verify.public_key_raw(public)).decode(),
        "key_id": verify.key_id(public),
        "head_encoding": "RFC 6962 TreeHeadSignature: u8 version=0, u8 type=1, u64 timestamp_ms, u64 tree_size, root[32]",
        "development_key": conf.using_dev_key(),
    }


# --- entries and receipts ----------------------------------------------------------------------


def can_read_kind(user, kind: str) -> bool:
    return kind not in RESTRICTED_KINDS or role_of(user) in JUSTICE_ROLES


def entry_for(user, index: int) -> Entry:
    entry = Entry.objects.filter(index=index).first()
    if entry is None or not can_read_kind(user, entry.kind):
        # A restricted entry answers exactly like a missing one: its existence is not leaked.
        raise NotFound(f"no ledger entry {index}", field="index")
    return entry


def entry_json(entry: Entry, *, with_leaf: bool = True) -> dict:
    body = {"index": entry.index, "kind": entry.kind, "leaf_hash": bytes(entry.leaf_hash).hex()}
    if with_leaf:
        body["leaf"] = base64.b64encode(bytes(entry.leaf)).decode()
        body["record"] = json.loads(bytes(entry.leaf))
    return body


def receipt(entry: Entry, head: TreeHead | None = None) -> dict:
    """Entry + inclusion proof + the signed head it is proved against: checkable offline."""
    head = head or latest_head()
    if head is None or head.tree_size <= entry.index:
        raise NotFound("no signed tree head covers this entry yet; retry in a minute", code="not_signed_yet")
    proof = inclusion_proof(entry.index, head.tree_size)
    return {
        "format": verify.RECEIPT_FORMAT,
        "entry": entry_json(entry),
        "inclusion": {"tree_size": head.tree_size, "proof": [p.hex() for p in proof]},
        "head": head_json(head),
        "public_key": public_key_json()["public_key"],
    }


def log_entries() -> QuerySet[Entry]:
    """The log in index order (the export pages through it by index)."""
    return Entry.objects.order_by("index")


def export_log(user, entries=None) -> dict:
    """These entries, or the whole log (restricted leaves reduced to their hash unless the user may
    read them), and every signed head: what `python -m gridops.ledger.verify` checks whole."""
    see_restricted = role_of(user) in JUSTICE_ROLES
    if entries is None:
        entries = log_entries().iterator(chunk_size=2000)
    return {
        "format": verify.EXPORT_FORMAT,
        "public_key": public_key_json()["public_key"],
        "entries": [_export_entry(e, see_restricted) for e in entries],
        "heads": [head_json(h) for h in TreeHead.objects.order_by("tree_size", "id")],
    }


def _export_entry(entry: Entry, see_restricted: bool) -> dict:
    body = entry_json(entry, with_leaf=see_restricted or entry.kind not in RESTRICTED_KINDS)
    body.pop("record", None)
    return body


# --- records ------------------------------------------------------------------------------------


def require_justice(user) -> None:
    if not user or not user.is_authenticated:
        from gridops.core.errors import NotAuthenticated

        raise NotAuthenticated("log in as a justice officer")
    if role_of(user) not in JUSTICE_ROLES:
        raise Forbidden("only justice officers see community-corrections records")


def checkins_visible_to(user) -> QuerySet[CheckIn]:
    require_justice(user)
    return CheckIn.objects.select_related("person", "grid", "entry")


def persons_visible_to(user) -> QuerySet[SupervisedPerson]:
    require_justice(user)
    return SupervisedPerson.objects.prefetch_related("allowed_zones")


def vendors_in_remit_of(user) -> QuerySet[Vendor]:
    """Vendors `user` may register or change (`gridops.core.authz` scope): registrars' only, and a
    town operator's only where the stall's micro-grid lies in their town. Anyone may *read* one."""
    if role_of(user) not in VENDOR_REGISTRARS:
        return Vendor.objects.none()
    return Vendor.objects.filter(within_jurisdiction(user, "grid__code"))


def persons_in_reach_of(user) -> QuerySet[SupervisedPerson]:
    """Supervised persons `user` may check in for: justice officers any, a person only themselves."""
    if user is None or not user.is_authenticated:
        return SupervisedPerson.objects.none()
    if role_of(user) in JUSTICE_ROLES:
        return SupervisedPerson.objects.all()
    return SupervisedPerson.objects.filter(user=user)


def grid_at(point) -> Zone | None:
    """The micro-grid holding a stall or a check-in (None outside the district)."""
    located = locate_point(point.x, point.y)
    return None if located is None else located.grid


def vendor_by_code(code: str) -> Vendor:
    vendor = Vendor.objects.select_related("entry", "grid").filter(code=code).first()
    if vendor is None:
        raise NotFound(f"no vendor {code}", field="code")
    return vendor


def vendor_state(vendor: Vendor, head: TreeHead | None = None) -> str:
    """verified: the current record equals its logged leaf under a signed head;
    pending: logged, not yet signed; mismatch: the row was changed outside the ledger;
    inactive: withdrawn."""
    from .records import vendor_record

    if not vendor.active:
        return "inactive"
    logged = json.loads(bytes(vendor.entry.leaf))
    current = vendor_record(vendor)
    if {k: v for k, v in logged.items() if k not in ("ts", "kind", "v")} != current:
        return "mismatch"
    head = head if head is not None else latest_head()
    if head is None or head.tree_size <= vendor.entry.index:
        return "pending"
    return "verified"
