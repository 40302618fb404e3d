"""Who may do what with the education map (plain functions, tested by a permission matrix).

Planners read everything and edit draft plans; publishing is the separate Django permission
`education.publish_catchmentplan`, so a head of planning can hold it without new roles. The
operator map's education layer is also open to the command-centre operators.
"""
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core.errors import Forbidden, NotAuthenticated

PUBLISH_PERMISSION = "education.publish_catchmentplan"
LAYER_ROLES = {Role.PLANNER, Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR}


def is_planner(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or role_of(user) == Role.PLANNER))


def can_publish(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(PUBLISH_PERMISSION))


def can_see_layer(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or role_of(user) in LAYER_ROLES))


def _check(user, allowed: bool, what: str) -> None:
    if not (user and user.is_authenticated):
        raise NotAuthenticated("log in to use the education map")
    if not allowed:
        raise Forbidden(f"you may not {what}")


def require_planner(user) -> None:
    _check(user, is_planner(user), "use the education planner")


def require_publisher(user) -> None:
    _check(user, is_planner(user) and can_publish(user), "publish catchment plans")


def require_layer(user) -> None:
    _check(user, can_see_layer(user), "see the education layer")
