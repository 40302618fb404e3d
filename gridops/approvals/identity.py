"""Who an applicant is, and which account may act as them.

An identity number typed into a form proves nothing: anyone can copy a neighbour's resident ID
from a form or a photo. So an applicant record (身份证号 / 统一社会信用代码) is bound to an account
only by proof of identity:

- the IMI identity attestation the ledger records (`ledger.services.identity_attest`, a salted
  commitment to the number made by a clerk or the district after checking the person), or
- a counter clerk's verification with the ID document in hand (`identity_verify_at_counter`,
  which records such an attestation for resident IDs and then binds).

Everything an online user cannot prove is refused with the same answer, whether the number is
unknown, known and unbound, or bound to someone else, so the refusal reveals nothing about it.
A kiosk ticket taken anonymously never creates or renames an applicant.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from gridops.core.errors import Conflict, Forbidden, InvalidInput
from gridops.core.services import audit_record

from . import rules, selectors
from .models import Applicant, ApplicantKind

UNVERIFIED = (
    "this identity number is not verified for your account: have it verified at a service hall counter "
    "(bring the ID document) or through the IMI identity attestation, then apply again"
)


def _clean(kind: str, id_number: str, name: str) -> tuple[str, str]:
    """The canonical number and the trimmed name, or a 400 naming the field."""
    if kind not in ApplicantKind.values:
        raise InvalidInput(f"applicant kind is one of {', '.join(ApplicantKind.values)}", field="kind")
    number = rules.normalise_id_number(kind, id_number)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("the applicant's name is required", field="name")
    return number, name


def applicant_record(*, kind: str = ApplicantKind.PERSON, id_number: str, name: str, phone: str = "") -> Applicant:
    """The applicant with this number as an identity document shows it: created on first sight,
    its name and phone corrected from the document otherwise. Never binds an account.

    Callers must have seen the document (a clerk at the counter, the history generator, tests).
    """
    number, name = _clean(kind, id_number, name)
    applicant, created = Applicant.objects.get_or_create(
        id_number=number, defaults={"kind": kind, "name": name, "phone": phone}
    )
    if not created:
        changed = [field for field, value in (("name", name), ("phone", phone))
                   if value and value != getattr(applicant, field)]
        for field in changed:
            setattr(applicant, field, name if field == "name" else phone)
        if changed:
            applicant.save(update_fields=changed)
    return applicant


def applicant_at_counter(*, clerk, kind: str = ApplicantKind.PERSON, id_number: str, name: str,
                         phone: str = "") -> Applicant:
    """The applicant a clerk serves in person (ID document in hand); binds no account."""
    selectors.require_clerk_at(clerk)
    return applicant_record(kind=kind, id_number=id_number, name=name, phone=phone)


def _attested(user, kind: str, number: str) -> bool:
    """Whether the ledger holds a verified attestation that this account holds this resident ID."""
    if kind != ApplicantKind.PERSON:
        return False  # attestations are of resident IDs; companies are verified at a counter
    from gridops.ledger.services.identity import identity_matches

    return identity_matches(user=user, id_number=number)


@transaction.atomic
def applicant_for_account(*, user, kind: str = ApplicantKind.PERSON, id_number: str, name: str,
                          phone: str = "") -> Applicant:
    """The applicant a signed-in user acts as online (bookings, 零跑腿 applications).

    The identity must already be bound to the account, or be proved by the ledger's attestation
    (then it is bound now). Anything else is one and the same 403 on `id_number`.
    """
    selectors.require_authenticated(user)
    number, name = _clean(kind, id_number, name)
    applicant = Applicant.objects.select_for_update().filter(id_number=number).first()
    bound_here = applicant is not None and applicant.user_id == user.id
    if not bound_here and not _attested(user, kind, number):
        raise Forbidden(UNVERIFIED, field="id_number", code="identity_not_verified")
    # From here on the user has proved the number, so the answers below reveal nothing new.
    if applicant is None:
        return Applicant.objects.create(kind=kind, id_number=number, name=name, phone=phone, user=user)
    if not rules.same_name(applicant.name, name):
        raise InvalidInput("the name does not match the one on record for this identity number", field="name")
    if applicant.user_id not in (None, user.id):
        raise Conflict("this identity is bound to another account; a service hall counter can move it",
                       field="id_number", code="identity_bound_elsewhere")
    changed = []
    if applicant.user_id is None:
        applicant.user = user
        changed.append("user")
    if phone and phone != applicant.phone:
        applicant.phone = phone
        changed.append("phone")
    if changed:
        applicant.save(update_fields=changed)
    return applicant


def account_by_username(username: str):
    account = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if account is None:
        raise InvalidInput("no active account has this username", field="username")
    return account


@transaction.atomic
def identity_verify_at_counter(*, clerk, account, kind: str = ApplicantKind.PERSON, id_number: str, name: str,
                               phone: str = "") -> Applicant:
    """A clerk checked the ID document of the account's holder in person: bind the identity.

    A resident ID is also attested in the ledger (so the proof is public and tamper-evident);
    a binding to another account is moved, since the document in hand outranks any earlier claim.
    """
    from gridops.ledger.services.identity import identity_attest

    applicant = applicant_at_counter(clerk=clerk, kind=kind, id_number=id_number, name=name, phone=phone)
    applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
    attestation = None
    if kind == ApplicantKind.PERSON:
        attestation = identity_attest(actor=clerk, subject=account, id_number=applicant.id_number, method="counter")
    previous = applicant.user_id
    if previous != account.pk:
        applicant.user = account
        applicant.save(update_fields=["user"])
    audit_record(actor=clerk, action="approvals.identity_verify", target=applicant,
                 detail={"account": account.pk, "previous_account": previous,
                         "ledger_entry": attestation.entry_id if attestation else None})
    return applicant
