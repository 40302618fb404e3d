"""ledger_audit: a clean log passes; a row changed behind the trigger's back is named."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gridops.ledger import records
from gridops.ledger.services import log as ledger_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    ledger_log.append_leaves([("notary", records.canonical_json({"n": i})) for i in range(11)])
    ledger_log.sign_head()
    ledger_log.append_leaves([("notary", records.canonical_json({"n": i})) for i in range(11, 14)])
    ledger_log.sign_head()


def _tamper(sql, params=()):
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only")
        cur.execute(sql, params)
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush FK checks before ALTER TABLE again
        cur.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_append_only")


def test_clean_log_passes(log, capsys):
    call_command("ledger_audit")
    assert "ledger audit OK: 14 entries" in capsys.readouterr().out


def test_changed_leaf_is_named(log, capsys):
    _tamper("UPDATE ledger_entry SET leaf = %s WHERE index = 3", [records.canonical_json({"n": 999})])
    with pytest.raises(CommandError, match="#3"):
        call_command("ledger_audit")
    out = capsys.readouterr().out
    assert "entry #3: its leaf does not hash to its stored leaf hash" in out


def test_changed_leaf_and_hash_is_named_and_heads_fail(log, capsys):
    from gridops.ledger import merkle

    forged = records.canonical_json({"n": 999})
    _tamper("UPDATE ledger_entry SET leaf = %s, leaf_hash = %s WHERE index = 7", [forged, merkle.leaf_hash(forged)])
    with pytest.raises(CommandError, match="#7"):
        call_command("ledger_audit")
    out = capsys.readouterr().out
    assert "entry #7: its leaf differs from the one the tree was built with" in out
    assert "head of size 11" in out and "head of size 14" in out


def test_deleted_entry_is_named(log, capsys):
    _tamper("DELETE FROM ledger_entry WHERE index = 12")
    with pytest.raises(CommandError, match="#12"):
        call_command("ledger_audit")


def test_forged_head_signature_is_reported(capsys):
    ledger_log.append_leaves([("notary", b"{}")])
    head = ledger_log.sign_head()
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE ledger_treehead DISABLE TRIGGER ledger_treehead_append_only")
        cur.execute("UPDATE ledger_treehead SET timestamp_ms = timestamp_ms + 1 WHERE id = %s", [head.pk])
        cur.execute("ALTER TABLE ledger_treehead ENABLE TRIGGER ledger_treehead_append_only")
    with pytest.raises(CommandError):
        call_command("ledger_audit")
    assert "head of size 1" in capsys.readouterr().out
