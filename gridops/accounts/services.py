"""Writes of the accounts app. A change of who may do what (role, jurisdiction, department,
micro-grids) is a privileged action: it goes to the audit trail with old and new values, from the
admin and from code alike. Personal fields (display name, phone) are named when they change, never
copied into the trail."""
from __future__ import annotations

from django.db import transaction

from gridops.core import authz
from gridops.core.services import audit_record

from .models import Profile

ACCESS_FIELDS = ("role", "zone", "department", "grids")
PERSONAL_FIELDS = ("display_name", "phone")


def profile_access(profile: Profile | None) -> dict:
    """What a profile lets its user reach, as codes (JSON-ready, comparable, no personal data)."""
    if profile is None or profile.pk is None:
        return {name: None for name in ACCESS_FIELDS}
    return {
        "role": profile.role,
        "zone": profile.zone.code if profile.zone_id else None,
        "department": profile.department.code if profile.department_id else None,
        "grids": sorted(profile.grids.values_list("code", flat=True)),
    }


def profile_changes_record(*, actor, profile: Profile, before: dict, personal_before: dict | None = None,
                           request=None, created: bool = False):
    """Audit what changed since `before` (a `profile_access` snapshot); nothing when nothing did."""
    after = profile_access(profile)
    changes = {name: {"old": before.get(name), "new": after[name]} for name in ACCESS_FIELDS
               if before.get(name) != after[name]}
    personal = sorted(name for name in PERSONAL_FIELDS
                      if personal_before is not None and personal_before.get(name) != getattr(profile, name))
    if not changes and not created:
        return None
    detail = {"user_id": profile.user_id, "changes": changes}
    if personal:
        detail["also_changed"] = personal
    action = "accounts.profile_create" if created else "accounts.profile_change"
    return audit_record(actor=actor, action=action, target=profile, detail=detail, request=request)


def profile_update(*, actor, profile: Profile, request=None, **fields) -> Profile:
    """Change a profile's role, zone, department, grids (or personal fields) and audit the change.

    `grids` is an iterable of Zone objects; the others are model field values.
    """
    unknown = set(fields) - set(ACCESS_FIELDS) - set(PERSONAL_FIELDS)
    if unknown:
        raise TypeError(f"profile_update() got unknown fields: {', '.join(sorted(unknown))}")
    authz.require_may_act(actor, profile)  # an administrator's, before anything changes
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile.pk)
        before = profile_access(profile)
        personal_before = {name: getattr(profile, name) for name in PERSONAL_FIELDS}
        grids = fields.pop("grids", None)
        for name, value in fields.items():
            setattr(profile, name, value)
        profile.save()
        if grids is not None:
            profile.grids.set(grids)
        profile_changes_record(actor=actor, profile=profile, before=before, personal_before=personal_before,
                               request=request)
    return profile


def profile_delete(*, actor, profile: Profile, request=None) -> None:
    """Removing a profile takes its access away: audited with what it allowed."""
    authz.require_may_act(actor, profile)
    with transaction.atomic():
        before = profile_access(profile)
        audit_record(actor=actor, action="accounts.profile_delete", target=profile, request=request,
                     detail={"user_id": profile.user_id,
                             "changes": {name: {"old": before[name], "new": None} for name in ACCESS_FIELDS}})
        profile.delete()
