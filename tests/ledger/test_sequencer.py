"""Group commit: concurrent notarisations share commits, each still gets a verifiable receipt."""
import pytest

from gridops.accounts.models import Role
from gridops.ledger import selectors, verify
from gridops.ledger.models import Entry
from gridops.ledger.sequencer import Sequencer
from gridops.ledger.services import notary
from tests.threads import run_concurrently

from .factories import user_with_role


@pytest.mark.django_db(transaction=True)
def test_concurrent_notarisations_get_distinct_entries_and_valid_receipts(monkeypatch):
    seq = Sequencer()
    monkeypatch.setattr("gridops.ledger.sequencer.sequencer", seq)
    user = user_with_role(Role.CITIZEN)
    receipts = []

    def worker(n):
        for i in range(5):
            receipts.append(notary.notarise(user=user, sha256=f"{n * 100 + i:064x}")[1])

    assert run_concurrently(worker, 8) == []
    assert sorted(r["entry"]["index"] for r in receipts) == list(range(40))
    assert Entry.objects.count() == 40 and seq.batches <= 40
    key = verify.load_public_key(selectors.public_key_json()["public_key"])
    assert all(verify.verify_receipt(r, key) == [] for r in receipts)


@pytest.mark.django_db
def test_submit_inside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="outside a transaction"):
        Sequencer().submit("notary", b"{}")


@pytest.mark.django_db(transaction=True)
def test_a_failing_callback_fails_only_its_caller():
    seq = Sequencer()

    def boom(entry):
        raise ValueError("row refused")

    with pytest.raises(ValueError, match="row refused"):
        seq.submit("notary", b'{"a":1}', then=boom)
    entry, head, result = seq.submit("notary", b'{"a":2}', then=lambda e: e.index * 10)
    assert entry.index == 1 and head.tree_size == 2 and result == 10
