"""The signing key: from settings when given, a public development key only in local/test."""
import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from gridops.ledger import conf, verify


def test_configured_key_is_used():
    raw = bytes(range(32))
    with override_settings(GRIDOPS_LEDGER_SIGNING_KEY=base64.b64encode(raw).decode()):
        key = conf.signing_key()
        assert not conf.using_dev_key()
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        assert verify.public_key_raw(key.public_key()) == verify.public_key_raw(Ed25519PrivateKey.from_private_bytes(raw).public_key())
    assert conf.using_dev_key()  # back to the test default once the override ends


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_key_is_refused(value):
    with override_settings(GRIDOPS_LEDGER_SIGNING_KEY=value), pytest.raises(ImproperlyConfigured):
        conf.signing_key()


def test_production_refuses_the_development_key(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "gridops.settings.production")
    monkeypatch.delenv("GRIDOPS_LEDGER_SIGNING_KEY", raising=False)
    with override_settings(DEBUG=False, GRIDOPS_LEDGER_SIGNING_KEY=""), pytest.raises(ImproperlyConfigured):
        conf.signing_key()
    conf.signing_key.cache_clear()
