"""Settings of the ledger, read once here (tests override them with `override_settings`).

GRIDOPS_LEDGER_SIGNING_KEY
    Base64 of the raw 32-byte Ed25519 private key that signs tree heads (`manage.py
    ledger_keygen` prints a new one). When unset, local and test settings fall back to a
    deterministic development key, which is public knowledge and so proves nothing: production
    settings refuse to start signing without a real key.
GRIDOPS_LEDGER_HEAD_MAX_AGE
    Seconds after which a grown log must have a new signed head (the worker tick checks).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

DEV_KEY_SEED = hashlib.sha256(b"gridops ledger development signing key - not secret").digest()


def _dev_key_allowed() -> bool:
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    return bool(settings.DEBUG) or module.endswith((".local", ".test"))


def decode_private_key(text: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("GRIDOPS_LEDGER_SIGNING_KEY is not base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured("GRIDOPS_LEDGER_SIGNING_KEY must be 32 raw bytes (base64)")
    return Ed25519PrivateKey.from_private_bytes(raw)


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    text = getattr(settings, "GRIDOPS_LEDGER_SIGNING_KEY", "") or os.environ.get("GRIDOPS_LEDGER_SIGNING_KEY", "")
    if text:
        return decode_private_key(text)
    if not _dev_key_allowed():
        raise ImproperlyConfigured("GRIDOPS_LEDGER_SIGNING_KEY is required outside local and test settings")
    return Ed25519PrivateKey.from_private_bytes(DEV_KEY_SEED)


def using_dev_key() -> bool:
    from cryptography.hazmat.primitives import serialization

    raw = signing_key().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return raw == DEV_KEY_SEED


def head_max_age_seconds() -> float:
    return float(getattr(settings, "GRIDOPS_LEDGER_HEAD_MAX_AGE", 60))


@receiver(setting_changed)
def _reset(setting, **kwargs):
    if setting.startswith("GRIDOPS_LEDGER_") or setting == "DEBUG":
        signing_key.cache_clear()
