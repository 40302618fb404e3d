"""The log: appending leaves and signing tree heads.

Appends are serialised by a PostgreSQL advisory transaction lock, so two concurrent appends
can never take the same index (the primary key would refuse it anyway) and the node table is
always the exact tree of the committed entries. An append writes its entry, its leaf node and
every complete subtree it closes (at most log2 n nodes), reading only the O(log n) frontier.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from gridops.core.services import audit_record

from .. import conf, merkle, records, selectors, verify
from ..models import Entry, TreeHead

APPEND_LOCK = 0x6C6564676572  # "ledger": one log per database, one writer at a time


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
