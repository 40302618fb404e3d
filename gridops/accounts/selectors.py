"""Reads about users: their profile and role (every app's visibility rules start here)."""
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
