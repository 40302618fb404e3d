"""Writes shared by every app: the audit trail of privileged actions."""
from __future__ import annotations

from .models import AuditEntry


def audit_record(*, actor, action: str, target=None, detail: dict | None = None, request=None) -> AuditEntry:
    """Record a privileged action (publish a plan, merge incidents, change a role, export data).

    Written in the caller's transaction, so a rolled-back action leaves no audit row behind.
    """
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
        ip=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
