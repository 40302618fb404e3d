"""Reads about users: their profile and role (every app's visibility rules start here)."""
from django.db.models import Q

from .models import Profile, Role


def profile_of(user) -> Profile | None:
    """The user's profile, or None for anonymous users and users without one."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.profile
    except Profile.DoesNotExist:
        return None


def role_of(user) -> str | None:
    profile = profile_of(user)
    if profile is None:
        return Role.DISTRICT_OPERATOR if getattr(user, "is_superuser", False) else None
    return profile.role


# Roles that work one part of the district (their profile's zone): the places they see on a map
# (halls, schools, stalls, command centres) are cut to it, as their incidents are. A wall screen
# is pinned to its centre's zone: a town's, or the district (which holds every code).
ZONED_ROLES = frozenset({Role.TOWN_OPERATOR, Role.SCREEN})
NO_ZONE = "-"  # a zoned role without a zone: a code prefix no zone has, so it sees nothing


def jurisdiction_code(user) -> str | None:
    """The code of the zone that bounds what `user` sees, or None for the whole district."""
    if role_of(user) not in ZONED_ROLES:
        return None
    profile = profile_of(user)
    if profile is None or profile.zone_id is None:
        return NO_ZONE
    from geodata.models import Zone  # the zone's code only, not its boundary

    return Zone.all_generations.filter(pk=profile.zone_id).values_list("code", flat=True).first() or NO_ZONE


def within_jurisdiction(user, code_field: str) -> Q:
    """Rows placed by a zone code (`code_field`, e.g. "zone__code") that `user` may see on a map:
    zone codes extend their parents' codes, so a town's places are the codes it prefixes."""
    code = jurisdiction_code(user)
    return Q() if code is None else Q(**{f"{code_field}__startswith": code})


def jurisdiction_covers(user, point) -> bool:
    """Whether a place lies in `user`'s jurisdiction: the zone of a zoned role (by the code of the
    micro-grid holding the point, as `within_jurisdiction` places rows), else the whole district.

    The "change" half of `gridops.core.authz`: where a write puts something must be the user's
    to act on, as much as the thing itself. Services ask it after their role check.
    """
    code = jurisdiction_code(user)
    if code is None:
        return True
    from geodata.selectors import locate_point

    located = locate_point(point.x, point.y)
    return located is not None and located.grid.code.startswith(code)


# Accounts that may only look: a wall display signed in all day in a public room must not be
# able to change anything, whatever page or API it reaches (enforced by ReadOnlyRolesMiddleware).
READ_ONLY_ROLES = frozenset({Role.SCREEN})


def is_read_only(user) -> bool:
    return role_of(user) in READ_ONLY_ROLES


def profiles_managed_by(user):
    """Profiles whose access `user` may change: administrators holding the admin's permission
    (`gridops.core.authz` scope of `accounts.services.profile_update` and `profile_delete`)."""
    if user is not None and user.is_authenticated and user.is_active and user.has_perm("accounts.change_profile"):
        return Profile.objects.all()
    return Profile.objects.none()
