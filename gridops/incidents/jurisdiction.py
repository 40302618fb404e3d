"""Who may see an incident, and who is pushed it: one definition (issue 13).

A user holds *grants*; each grant is an audience name (what their sockets listen to) together
with the incident condition it covers (what their lists and tiles show). An incident carries the
audience names of everything it lies in or belongs to. Both come from the tables below, so
"may see" and "receives the push" cannot disagree: the query filter is the OR of the user's grant
conditions, and an incident's push reaches exactly the sockets holding one of its audiences.
`tests/incidents/test_jurisdiction.py` walks every role and zone level to prove it.

- district operators and superusers: `district` (everything; every incident event carries it);
- town operators and wall screens: their zone, whatever its level — the district, a town, an
  area, a village or a micro-grid (`town.<code>`, `area.<code>`, `village.<code>`, `grid.<code>`);
- department handlers: `dept.<code>`, once the incident is dispatched to the department;
- grid workers: `grid.<code>` for each of their micro-grids;
- everyone signed in: `user.<id>`, the reports they filed or were merged into as co-reporters.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from geodata.models import Level, Zone
from gridops.accounts.models import Role
from gridops.accounts.selectors import profile_of, role_of

DISTRICT = "district"

# Zone level -> (audience prefix, incident field holding the zone of that level).
ZONE_SCOPES = {
    Level.TOWN: ("town", "town_id"),
    Level.AREA: ("area", "area_id"),
    Level.VILLAGE: ("village", "village_id"),
    Level.GRID: ("grid", "grid_id"),
}
ZONE_ROLES = frozenset(filter(None, (Role.TOWN_OPERATOR, getattr(Role, "SCREEN", None))))


@dataclass(frozen=True)
class Grant:
    audience: str
    condition: Q


# --- what a user holds ----------------------------------------------------------------------

def _zone_grant(zone_id: int, level: int, code: str) -> Grant:
    if level == Level.DISTRICT:
        return Grant(DISTRICT, Q())
    prefix, field = ZONE_SCOPES[level]
    return Grant(f"{prefix}.{code}", Q(**{field: zone_id}))


def _profile_zone(profile) -> tuple[int, str] | None:
    """(level, code) of the profile's zone without loading its (large) boundary."""
    if profile.zone_id is None:
        return None
    if "zone" in profile._state.fields_cache:
        return profile.zone.level, profile.zone.code
    return Zone.all_generations.filter(pk=profile.zone_id).values_list("level", "code").first()


def grid_rows(profile) -> list[tuple[int, str]]:
    """A grid worker's micro-grids (id, code), read once per profile object."""
    cached = getattr(profile, "_grid_rows_cache", None)
    if cached is None:
        cached = profile._grid_rows_cache = list(profile.grids.values_list("pk", "code"))
    return cached


def own_grant(user, *, one_row: bool = False) -> Grant:
    """What they reported, or were merged into as a co-reporter (ids materialised: a subquery
    inside the OR made PostgreSQL scan the whole table). `one_row`: for a lookup by id, where
    the subquery is only tested against that row, so it rides in the same statement instead of
    a round trip of its own."""
    from .models import Incident

    mine = Q(reporter_id=user.pk)
    if one_row:
        co_reported = Incident.co_reporters.through.objects.filter(user_id=user.pk).values("incident_id")
        return Grant(f"user.{user.pk}", mine | Q(pk__in=co_reported))
    co_reported = getattr(user, CO_REPORTED, None)
    if co_reported is None:
        co_reported = co_reported_ids(user)
    return Grant(f"user.{user.pk}", mine | Q(pk__in=co_reported) if co_reported else mine)


CO_REPORTED = "_gridops_co_reported_ids"


def co_reported_ids(user) -> list[int]:
    """The incidents the user was merged into as a co-reporter (the newest 10,000; a citizen or
    worker co-reports a handful). In a stable order: the tiles' visibility digest hashes them."""
    from .models import Incident

    return list(Incident.co_reporters.through.objects.filter(user_id=user.pk)
                .order_by("-incident_id").values_list("incident_id", flat=True)[:10_000])


def preload_co_reported(user) -> None:
    """Registered with `core.tokens.user_preloaders`: the cached token user carries its
    co-reported ids, so a town operator's or a worker's list and tiles do not query them on every
    request. A merge that adds or removes co-reporters drops those users' cached token lookups
    (`on_co_reporters_changed`, now and after commit), as a change of role or grids does."""
    setattr(user, CO_REPORTED, co_reported_ids(user))


def on_co_reporters_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """`m2m_changed` of `Incident.co_reporters`: the users whose co-reported ids changed lose
    their cached token lookup, now and after commit (a request that read the old rows meanwhile
    must not leave them cached), so `preload_co_reported` reads them again."""
    from gridops.core.tokens import forget_user_through_commit

    if action == "pre_clear":
        user_ids = [instance.pk] if reverse else list(instance.co_reporters.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        user_ids = [instance.pk] if reverse else sorted(pk_set or ())
    else:
        return
    for user_id in user_ids:
        forget_user_through_commit(user_id)


def role_grants(user) -> list[Grant]:
    """The grants of the user's role and jurisdiction (without their own reports)."""
    if user is None or not user.is_authenticated:
        return []
    role, profile = role_of(user), profile_of(user)
    if getattr(user, "is_superuser", False) or role == Role.DISTRICT_OPERATOR:
        return [Grant(DISTRICT, Q())]
    if profile is None:
        return []
    if role in ZONE_ROLES:
        zone = _profile_zone(profile)
        return [_zone_grant(profile.zone_id, *zone)] if zone else []
    if role == Role.DEPARTMENT_HANDLER and profile.department_id:
        return [Grant(f"dept.{profile.department.code}",
                      Q(department_id=profile.department_id, dispatched_at__isnull=False))]
    if role == Role.GRID_WORKER:
        return [Grant(f"grid.{code}", Q(grid_id=pk)) for pk, code in grid_rows(profile)]
    return []


def realtime_audiences(user) -> list[str]:
    """The audiences of the user's grants, for the realtime app's audience providers
    (GRIDOPS_REALTIME_AUDIENCE_PROVIDERS); their own reports come through `user.<id>`, which
    realtime gives every signed-in user."""
    return [grant.audience for grant in role_grants(user)]


def grants_of(user, *, one_row: bool = False) -> list[Grant]:
    if user is None or not user.is_authenticated:
        return []
    grants = role_grants(user)
    if any(grant.audience == DISTRICT for grant in grants):
        return grants  # everything already: no query for their own reports
    return grants + [own_grant(user, one_row=one_row)]


def visibility_filter(user, *, one_row: bool = False) -> Q | None:
    """The Q selecting the incidents `user` may see, or None for nothing (`one_row`: the same
    rows, phrased for a lookup by id, `own_grant`)."""
    grants = grants_of(user, one_row=one_row)
    if not grants:
        return None
    condition = Q()
    for index, grant in enumerate(grants):
        if not grant.condition:
            return Q()  # an empty Q covers everything
        condition = grant.condition if index == 0 else condition | grant.condition
    return condition


# --- what an incident carries ---------------------------------------------------------------

_zone_codes: dict[int, str] = {}


def _codes(zone_ids) -> dict[int, str]:
    """Zone codes by id, kept per process (a zone's code never changes under its id). A miss
    reads every zone's code at once (~1,100 short rows): reports land all over the district,
    and a miss per new village or grid was a query inside every intake transaction. Every
    generation's rows: an incident located before a redraw carries the old rows' ids."""
    if any(pk is not None and pk not in _zone_codes for pk in zone_ids):
        _zone_codes.update(Zone.all_generations.values_list("pk", "code"))
    return _zone_codes


def zone_audiences(obj) -> list[str]:
    """The zone audiences of anything that carries the zone chain under the incident's field
    names (`town_id`, `area_id`, `village_id`, `grid_id`): incidents, early warnings."""
    ids = {level: getattr(obj, field) for level, (_prefix, field) in ZONE_SCOPES.items()}
    codes = _codes(ids.values())
    return [f"{ZONE_SCOPES[level][0]}.{codes[pk]}" for level, pk in ids.items() if pk is not None and pk in codes]


def incident_audiences(incident, *, co_reporters: bool = True) -> list[str]:
    """The audiences an incident's events go to (the district is added by `publish_event`).

    `co_reporters=False` for a report being created, which has none yet (saves a query inside
    the intake transaction)."""
    names = zone_audiences(incident)
    if incident.department_id and incident.dispatched_at is not None:
        names.append(f"dept.{incident.department.code}")
    if incident.reporter_id:
        names.append(f"user.{incident.reporter_id}")
    if incident.pk and co_reporters:
        ids = getattr(incident, "co_reporter_ids", None)  # read with the row (`selectors.with_co_reporter_ids`)
        if ids is None:
            ids = incident.co_reporters.through.objects.filter(incident_id=incident.pk).values_list("user_id", flat=True)
        names += [f"user.{pk}" for pk in ids]
    return names
