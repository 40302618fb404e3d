"""Recompute the whole tree from the stored entries and report everything that disagrees.

Why it exists: the triggers stop tampering through the application and plain SQL, but whoever
can disable a trigger can also rewrite rows. Every entry's leaf must hash to its stored leaf
hash and to the level-0 node; every stored node must equal the recomputed subtree; every signed
head must carry a valid signature and the root the entries give at its size. A rewritten entry
is named by index, a stale head by size.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from django.db import connection

from . import conf, merkle, verify

CHUNK = 20000


@dataclass
class AuditReport:
    entries: int = 0
    nodes: int = 0
    heads: int = 0
    problems: list[str] = field(default_factory=list)
    bad_entries: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stream(sql: str):
    """Rows through a server-side cursor, so a million-entry log is never held twice."""
    with connection.cursor() as cur:
        cur.execute(sql)
        while True:
            rows = cur.fetchmany(CHUNK)
            if not rows:
                return
            yield from rows


def audit_log(log=lambda message: None) -> AuditReport:
    report = AuditReport()
    leaf_hashes: list[bytes] = []
    for index, leaf, stored in _stream("SELECT index, leaf, leaf_hash FROM ledger_entry ORDER BY index"):
        if index != len(leaf_hashes):
            report.problems.append(f"entry #{len(leaf_hashes)} is missing (next stored index is {index})")
            report.bad_entries.add(len(leaf_hashes))
            return report
        computed = merkle.leaf_hash(bytes(leaf))
        if computed != bytes(stored):
            report.problems.append(f"entry #{index}: its leaf does not hash to its stored leaf hash")
            report.bad_entries.add(index)
        leaf_hashes.append(computed)
        report.entries += 1
    log(f"{report.entries} entries read")
    levels = merkle.tree_levels(leaf_hashes) if leaf_hashes else [[]]

    for level, index, stored in _stream("SELECT level, index, hash FROM ledger_node ORDER BY level, index"):
        report.nodes += 1
        expected = levels[level][index] if level < len(levels) and index < len(levels[level]) else None
        if expected is None:
            report.problems.append(f"node ({level}, {index}) covers entries that do not exist")
        elif expected != bytes(stored):
            first, last = index << level, ((index + 1) << level) - 1
            if level == 0:
                report.problems.append(f"entry #{index}: its leaf differs from the one the tree was built with")
                report.bad_entries.add(index)
            else:
                report.problems.append(f"node ({level}, {index}) over entries #{first}..#{last} does not match them")
    expected_nodes = sum(len(row) for row in levels) if leaf_hashes else 0
    if report.nodes != expected_nodes:
        report.problems.append(f"{expected_nodes - report.nodes} tree nodes are missing")
    log(f"{report.nodes} nodes checked")

    public = conf.signing_key().public_key()
    own_key = verify.key_id(public)
    for size, root, ts, signature, key_id in _stream(
        "SELECT tree_size, root_hash, timestamp_ms, signature, key_id FROM ledger_treehead ORDER BY tree_size, id"
    ):
        report.heads += 1
        root = bytes(root)
        if key_id != own_key:
            report.problems.append(f"head of size {size} was signed by another key ({key_id[:16]}…)")
        else:
            try:
                public.verify(bytes(signature), verify.head_bytes(size, ts, root))
            except InvalidSignature:
                report.problems.append(f"head of size {size} (at {ts} ms): signature does not verify")
        if size > len(leaf_hashes):
            report.problems.append(f"head of size {size} is beyond the {len(leaf_hashes)} stored entries")
            continue
        recomputed = merkle.range_hash(0, size, lambda lv, ix: levels[lv][ix]) if size else merkle.EMPTY_ROOT
        if recomputed != root:
            report.problems.append(f"head of size {size} (at {ts} ms): the stored entries give another root")
    log(f"{report.heads} signed heads checked")
    return report
