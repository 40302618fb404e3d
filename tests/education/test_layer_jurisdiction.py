"""The operator map's schools layer follows the user's jurisdiction (issue 12): a town operator
sees their town's schools; the district's operators see them all."""
import pytest
from django.test import Client
from django.urls import reverse

from geodata.models import Zone
from gridops.accounts.models import Role

from tests.builders import make_user


def _codes(user) -> list[str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("education-layer"))
    assert response.status_code == 200, response.content
    return sorted(f["properties"]["code"] for f in response.json()["features"])


def test_town_operator_sees_only_their_towns_schools(edu):
    nanzhuang = make_user("nanzhuang_op", Role.TOWN_OPERATOR)
    nanzhuang.profile.zone = Zone.objects.get(code="440604101")
    nanzhuang.profile.save()
    district = make_user("district_op", Role.DISTRICT_OPERATOR)
    district.profile.zone = Zone.objects.get(code="440604")
    district.profile.save()
    assert _codes(nanzhuang) == ["P3"]
    assert _codes(district) == ["J1", "P1", "P2", "P3"]
