"""A counter clerk hears their own hall's queue events, and no other hall's."""
import pytest

from gridops.accounts.models import Role
from gridops.realtime.selectors import audiences_of

from .factories import hall_at, user_with, zone_tree

pytestmark = pytest.mark.django_db


def test_clerk_hears_only_their_hall():
    zones = zone_tree()
    nanzhuang = hall_at(zones["nanzhuang"], "NZ")
    hall_at(zones["zumiao"], "ZM")
    clerk = user_with(Role.COUNTER_CLERK, hall=nanzhuang)
    heard = audiences_of(clerk)
    assert "hall.NZ" in heard and "hall.ZM" not in heard


def test_other_roles_hear_no_hall():
    zones = zone_tree()
    hall_at(zones["nanzhuang"], "NZ")
    citizen = user_with(Role.CITIZEN)
    assert not [name for name in audiences_of(citizen) if name.startswith("hall.")]
