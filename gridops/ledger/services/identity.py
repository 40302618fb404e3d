"""Identity attestation: a salted commitment to the resident ID an account holder showed in person."""
from __future__ import annotations

import hmac

from django.db import transaction
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core.errors import Forbidden, InvalidInput
from gridops.core.resident_id import resident_id_valid

from .. import records
from ..models import IdentityAttestation, Kind
from .log import append_record

IDENTITY_ATTESTERS = frozenset({Role.DISTRICT_OPERATOR, Role.COUNTER_CLERK})


def require_attester(actor) -> None:
    """403 unless the actor attests identities; asked before any account is looked up, so the
    answer to anyone else says nothing about which accounts exist."""
    if role_of(actor) not in IDENTITY_ATTESTERS:
        raise Forbidden("only counter clerks and district operators attest identities")


def identity_attest(*, actor, subject, id_number: str, method: str = "counter") -> IdentityAttestation:
    """Attest that `subject`'s account belongs to the holder of `id_number` (checked in person)."""
    require_attester(actor)
    if not resident_id_valid(id_number):
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
    return hmac.compare_digest(records.id_commitment(id_number, attestation.salt), attestation.commitment)
