"""The audit trail lives in the caller's transaction."""
import pytest
from django.contrib.auth.models import User
from django.db import transaction

from gridops.core.models import AuditEntry
from gridops.core.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_records_actor_action_and_target():
    user = User.objects.create_user("op", password="x")
    entry = audit_record(actor=user, action="plan.publish", target=user, detail={"plan": 3})
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (user, "plan.publish", "auth.user", str(user.pk))


def test_rolled_back_action_leaves_no_audit_row():
    user = User.objects.create_user("op2", password="x")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=user, action="incident.merge")
        raise RuntimeError("the action failed")
    assert not AuditEntry.objects.filter(action="incident.merge").exists()
