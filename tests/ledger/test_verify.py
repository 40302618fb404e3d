"""The standalone verifier: no Django, a notarisation receipt and a log export checked offline."""
import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from gridops.ledger import records, selectors
from gridops.ledger.services import log, notary

from tests.builders import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, stdin=None):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "gridops.ledger.verify", *args], cwd=ROOT, env=env,
        capture_output=True, text=True, input=stdin, timeout=60,
    )


def test_verify_module_imports_no_django():
    code = "import sys, gridops.ledger.verify; print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_notarisation_receipt_verifies_with_the_public_key_alone(tmp_path):
    document = b"contract: 1 hour evidence in seconds"
    log.append_leaves([("notary", b"{}")] * 5)
    _, receipt = notary.notarise(user=make_user(), sha256=hashlib.sha256(document).hexdigest(), title="合同")
    receipt.pop("public_key")  # the verifier must rely on the key it is given, not the receipt's
    (tmp_path / "r.json").write_text(json.dumps(receipt))
    (tmp_path / "doc.bin").write_bytes(document)
    key = selectors.public_key_json()["public_key"]

    ok = run_cli("--public-key", key, str(tmp_path / "r.json"), "--document", str(tmp_path / "doc.bin"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("OK: receipt for entry #5 (notary)")

    (tmp_path / "other.bin").write_bytes(document + b"!")
    wrong_doc = run_cli("--public-key", key, str(tmp_path / "r.json"), "--document", str(tmp_path / "other.bin"))
    assert wrong_doc.returncode == 1 and "is not the notarised" in wrong_doc.stdout

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gridops.ledger.verify import public_key_raw

    other_key = base64.b64encode(public_key_raw(Ed25519PrivateKey.generate().public_key())).decode()
    assert run_cli("--public-key", other_key, str(tmp_path / "r.json")).returncode == 1

    record = json.loads(base64.b64decode(receipt["entry"]["leaf"]))
    record["sha256"] = "0" * 64
    receipt["entry"]["leaf"] = base64.b64encode(records.canonical_json(record)).decode()
    forged = run_cli("--public-key", key, "-", stdin=json.dumps(receipt))
    assert forged.returncode == 1 and "does not hash to its leaf_hash" in forged.stdout


def test_whole_export_verifies_and_a_changed_leaf_fails(tmp_path):
    log.append_leaves([("notary", records.canonical_json({"n": i})) for i in range(20)])
    log.sign_head()
    log.append_leaves([("checkin", records.canonical_json({"case_no": "secret"}))])
    log.sign_head()
    export = json.loads(json.dumps(selectors.export_log(AnonymousUser()), default=str))
    assert "leaf" not in export["entries"][20]  # a restricted leaf is exported as its hash only
    key = selectors.public_key_json()["public_key"]
    (tmp_path / "export.json").write_text(json.dumps(export))
    ok = run_cli("--public-key", key, str(tmp_path / "export.json"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "21 entries and 2 signed heads" in ok.stdout

    export["entries"][4]["leaf"] = base64.b64encode(b'{"n":44}').decode()
    bad = run_cli("--public-key", key, "-", stdin=json.dumps(export))
    assert bad.returncode == 1 and "entry #4" in bad.stdout


def test_cli_reports_bad_input():
    assert run_cli("--public-key", "not-a-key", "/nonexistent.json").returncode == 2
