"""Changing who may do what (role, jurisdiction, department, micro-grids) leaves an audit row with the
old and new values — from the Django admin and from the service alike — and no personal data."""
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gridops.accounts.models import Department, Profile, Role
from gridops.accounts.services import profile_delete, profile_update
from gridops.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NANZHUANG, ZUMIAO = "440604101", "440604001"
NZ_GRIDS = ["44060410101001001", "44060410101001002"]
PHONE, NAME = "13912345678", "李四"


@pytest.fixture
def people(tiny_district):
    users = get_user_model().objects
    admin = users.create_superuser(username="root", password="pw-root-123")
    worker = users.create_user(username="lisi-account")
    profile = Profile.objects.create(user=worker, role=Role.GRID_WORKER, zone=tiny_district[NANZHUANG],
                                     display_name=NAME, phone=PHONE)
    profile.grids.set([tiny_district[NZ_GRIDS[0]]])
    cg = Department.objects.create(code="cg", name="城市管理和综合执法局", short_name="城管")
    return {"admin": admin, "worker": worker, "profile": profile, "zones": tiny_district, "cg": cg}


def audit_rows(profile, action="accounts.profile_change"):
    return list(AuditEntry.objects.filter(action=action, target_type="accounts.profile", target_id=str(profile.pk)))


def assert_no_personal_data(entry):
    text = json.dumps(entry.detail, ensure_ascii=False)
    assert PHONE not in text and NAME not in text and "lisi-account" not in text


# --- service ------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, expected", [
    (lambda z, d: {"role": Role.TOWN_OPERATOR}, {"role": {"old": "grid_worker", "new": "town_operator"}}),
    (lambda z, d: {"zone": z[ZUMIAO]}, {"zone": {"old": NANZHUANG, "new": ZUMIAO}}),
    (lambda z, d: {"zone": None}, {"zone": {"old": NANZHUANG, "new": None}}),
    (lambda z, d: {"department": d}, {"department": {"old": None, "new": "cg"}}),
    (lambda z, d: {"grids": [z[c] for c in NZ_GRIDS]}, {"grids": {"old": NZ_GRIDS[:1], "new": NZ_GRIDS}}),
    (lambda z, d: {"role": Role.DEPARTMENT_HANDLER, "department": d, "zone": None, "grids": []},
     {"role": {"old": "grid_worker", "new": "department_handler"}, "department": {"old": None, "new": "cg"},
      "zone": {"old": NANZHUANG, "new": None}, "grids": {"old": NZ_GRIDS[:1], "new": []}}),
])
def test_profile_update_audits_old_and_new_values(people, change, expected):
    profile = profile_update(actor=people["admin"], profile=people["profile"], **change(people["zones"], people["cg"]))
    [entry] = audit_rows(profile)
    assert entry.actor == people["admin"]
    assert entry.detail == {"user_id": people["worker"].pk, "changes": expected}
    assert_no_personal_data(entry)


def test_nothing_changed_is_not_audited(people):
    profile_update(actor=people["admin"], profile=people["profile"], role=Role.GRID_WORKER,
                   zone=people["zones"][NANZHUANG], grids=[people["zones"][NZ_GRIDS[0]]])
    assert audit_rows(people["profile"]) == []


def test_personal_fields_are_named_not_copied(people):
    profile_update(actor=people["admin"], profile=people["profile"], phone="13700000000", role=Role.CITIZEN)
    [entry] = audit_rows(people["profile"])
    assert entry.detail["also_changed"] == ["phone"]
    assert "13700000000" not in json.dumps(entry.detail) and PHONE not in json.dumps(entry.detail)


def test_a_failed_update_leaves_no_audit_row(people):
    with pytest.raises(TypeError):
        profile_update(actor=people["admin"], profile=people["profile"], is_superuser=True)
    assert audit_rows(people["profile"]) == []
    assert Profile.objects.get(pk=people["profile"].pk).role == Role.GRID_WORKER


def test_deleting_a_profile_is_audited(people):
    pk = people["profile"].pk
    profile_delete(actor=people["admin"], profile=people["profile"])
    [entry] = AuditEntry.objects.filter(action="accounts.profile_delete", target_id=str(pk))
    assert entry.detail["changes"]["role"] == {"old": "grid_worker", "new": None}


# --- Django admin -------------------------------------------------------------------------------

def admin_form(people, **overrides):
    p = people["profile"]
    form = {"user": p.user_id, "role": p.role, "zone": p.zone_id or "", "department": p.department_id or "",
            "grids": ",".join(str(g.pk) for g in p.grids.all()), "display_name": p.display_name, "phone": p.phone}
    form.update(overrides)
    return form


def test_admin_role_and_grid_change_is_audited(client, people):
    client.force_login(people["admin"])
    zones = people["zones"]
    form = admin_form(people, role=Role.TOWN_OPERATOR, zone=zones[ZUMIAO].pk,
                      grids=",".join(str(zones[c].pk) for c in NZ_GRIDS))
    response = client.post(reverse("admin:accounts_profile_change", args=[people["profile"].pk]), form,
                           REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302, response.content[:500]
    [entry] = audit_rows(people["profile"])
    assert entry.actor == people["admin"] and entry.ip == "10.0.0.9"
    assert entry.detail["changes"] == {
        "role": {"old": "grid_worker", "new": "town_operator"},
        "zone": {"old": NANZHUANG, "new": ZUMIAO},
        "grids": {"old": NZ_GRIDS[:1], "new": NZ_GRIDS},
    }
    assert_no_personal_data(entry)


def test_admin_save_without_access_change_is_not_audited(client, people):
    client.force_login(people["admin"])
    response = client.post(reverse("admin:accounts_profile_change", args=[people["profile"].pk]), admin_form(people))
    assert response.status_code == 302
    assert audit_rows(people["profile"]) == []


def test_admin_profile_creation_is_audited(client, people):
    client.force_login(people["admin"])
    user = get_user_model().objects.create_user(username="newcomer")
    form = {"user": user.pk, "role": Role.DISTRICT_OPERATOR, "zone": people["zones"]["440604"].pk, "department": "",
            "grids": "", "display_name": "王五", "phone": "13600000000"}
    response = client.post(reverse("admin:accounts_profile_add"), form)
    assert response.status_code == 302, response.content[:500]
    profile = Profile.objects.get(user=user)
    [entry] = audit_rows(profile, "accounts.profile_create")
    assert entry.detail["changes"]["role"] == {"old": None, "new": "district_operator"}
    assert "王五" not in json.dumps(entry.detail, ensure_ascii=False)


def test_admin_delete_is_audited(client, people):
    client.force_login(people["admin"])
    pk = people["profile"].pk
    response = client.post(reverse("admin:accounts_profile_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="accounts.profile_delete", target_id=str(pk)).count() == 1
