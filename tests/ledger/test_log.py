"""The stored log: appends, node table, proofs from storage equal the in-memory ones, heads."""
import os

import pytest
from django.db import connection

from gridops.ledger import merkle, records, selectors, verify
from gridops.ledger.models import Entry, Node, TreeHead
from gridops.ledger.services import log
from tests.threads import run_concurrently

pytestmark = pytest.mark.django_db


def leaf(i) -> bytes:
    return records.canonical_json({"n": i})


def _append(n, start=0):
    return log.append_leaves([("notary", leaf(i)) for i in range(start, start + n)])


def test_appends_build_the_same_tree_as_merkle_py():
    leaves = [leaf(i) for i in range(37)]
    for i in range(0, 37, 5):  # batches of different sizes, so the frontier carries over
        _append(min(5, 37 - i), i)
    assert selectors.tree_size() == 37
    assert list(Entry.objects.values_list("index", flat=True)) == list(range(37))
    levels = merkle.tree_levels([merkle.leaf_hash(x) for x in leaves])
    stored = {(n.level, n.index): bytes(n.hash) for n in Node.objects.all()}
    assert stored == {(lv, ix): h for lv, row in enumerate(levels) for ix, h in enumerate(row)}
    for size in (1, 2, 3, 8, 13, 36, 37):
        assert selectors.root_at(size) == merkle.root_hash(leaves[:size])
    for index, size in [(0, 37), (36, 37), (12, 13), (5, 8), (31, 33)]:
        assert selectors.inclusion_proof(index, size) == merkle.inclusion_proof(leaves[:size], index)
    for old, new in [(1, 37), (7, 8), (8, 37), (13, 30), (37, 37)]:
        assert selectors.consistency_proof(old, new) == merkle.consistency_proof(leaves[:new], old)


def test_signed_head_verifies_with_the_published_key():
    _append(5)
    head = log.sign_head()
    body = selectors.head_json(head)
    public = verify.load_public_key(selectors.public_key_json()["public_key"])
    assert verify.verify_head(body, public) == []
    assert bytes(head.root_hash) == selectors.root_at(5)
    body["tree_size"] = 4
    assert verify.verify_head(body, public)


def test_sign_if_grown_signs_only_when_the_log_grew():
    first = log.sign_if_grown()
    assert first is not None and first.tree_size == 0
    assert log.sign_if_grown() is None
    _append(2)
    second = log.sign_if_grown()
    assert second.tree_size == 2 and second.timestamp_ms > first.timestamp_ms
    assert TreeHead.objects.count() == 2


def test_receipt_verifies_offline_and_fails_when_tampered():
    entries = _append(9)
    head = log.sign_head()
    receipt = selectors.receipt(entries[4], head)
    public = verify.load_public_key(receipt["public_key"])
    assert verify.verify_receipt(receipt, public) == []
    receipt["inclusion"]["proof"][0] = "00" * 32
    assert verify.verify_receipt(receipt, public)


def test_update_and_delete_in_sql_are_refused():
    _append(3)
    log.sign_head()
    from django.db import DatabaseError, transaction

    for sql in ("UPDATE ledger_entry SET kind = 'vendor' WHERE index = 1",
                "DELETE FROM ledger_entry WHERE index = 2",
                "UPDATE ledger_node SET hash = '\\x00' WHERE level = 0",
                "DELETE FROM ledger_treehead"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert Entry.objects.get(index=1).kind == "notary"
    assert Entry.objects.count() == 3 and TreeHead.objects.count() == 1


def test_truncate_is_refused_outside_test_databases():
    """The migration's own SQL, applied to a scratch database whose name is not test_*."""
    import importlib

    import psycopg2

    migration = importlib.import_module("gridops.ledger.migrations.0002_append_only")
    params = connection.get_connection_params()
    admin = psycopg2.connect(dbname="postgres", user=params.get("user"), host=params.get("host"), port=params.get("port"))
    admin.autocommit = True
    name = f"ledger_probe_{os.getpid()}"
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        probe = psycopg2.connect(dbname=name, user=params.get("user"), host=params.get("host"), port=params.get("port"))
        with probe, probe.cursor() as cur:
            for table in migration.TABLES:
                cur.execute(f"CREATE TABLE {table} (index bigint)")
            cur.execute(migration.FORWARD)
            cur.execute("INSERT INTO ledger_entry VALUES (0)")
        for sql in ("TRUNCATE ledger_entry", "UPDATE ledger_entry SET index = 1", "DELETE FROM ledger_entry"):
            with pytest.raises(psycopg2.Error, match="append-only"), probe, probe.cursor() as cur:
                cur.execute(sql)
        probe.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_share_an_index():
    def worker(n):
        for i in range(10):
            log.append_leaves([("notary", leaf(n * 100 + i))])

    assert run_concurrently(worker, 4) == []
    assert sorted(Entry.objects.values_list("index", flat=True)) == list(range(40))
    leaves = [bytes(e.leaf) for e in Entry.objects.order_by("index")]
    assert selectors.root_at(40) == merkle.root_hash(leaves)
