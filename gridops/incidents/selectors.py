"""Reads of the incidents app. Who sees what is answered here, once: `incidents_visible_to`.

Every list, detail, action, count and push audience of incidents starts from that queryset, so a
jurisdiction rule lives in one place (`jurisdiction.py`, shared with the push audiences) and an out-of-jurisdiction id is simply
not found (404), never a different error that would confirm it exists.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.contrib.gis.geos import Point
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router
from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Role
from gridops.accounts.selectors import profile_of, role_of
from gridops.core import prepared
from gridops.core.errors import NotFound

from . import conf, jurisdiction, rules, sla
from .models import OPEN_STATUSES, EventType, Incident, WorkerPosition
from .reference_rows import WithReferenceRows

# --- who sees what ---------------------------------------------------------------------------


def visibility_filter(user, *, one_row: bool = False) -> Q | None:
    """The Q selecting what `user` may see, or None for nothing (anonymous, unrelated roles).

    The rule is `jurisdiction.py`'s, which also names the audiences an incident is pushed to.
    `one_row` phrases the same rule for a lookup by id (no round trip for co-reported ids).
    """
    return jurisdiction.visibility_filter(user, one_row=one_row)


def preload_grid_ids(user) -> None:
    """Registered with `core.tokens.user_preloaders`: a grid worker's micro-grids (ids and codes,
    what both acting and visibility read) travel with the cached token user (revocation drops
    that cache when the grids change)."""
    profile = profile_of(user)
    if profile is not None and profile.role == Role.GRID_WORKER:
        _grid_ids(profile)


def _grid_ids(profile) -> frozenset[int]:
    """A grid worker's micro-grid ids, read once per profile object (`jurisdiction.grid_rows`,
    the rows visibility reads too): list rows ask per row, and a request loads its user afresh,
    or with a token from the cache with the rows already on it (`preload_grid_ids`)."""
    cached = getattr(profile, "_grid_ids_cache", None)
    if cached is None:
        cached = profile._grid_ids_cache = frozenset(pk for pk, _code in jurisdiction.grid_rows(profile))
    return cached


# Roles whose visibility is their remit and nothing else: whatever they see, they act on with
# their role's powers. The other roles also *follow* reports they filed or were merged into.
_REMIT_ONLY = frozenset({Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.DEPARTMENT_HANDLER})


def acting_capacities(user, incident: Incident) -> frozenset[str]:
    """In which capacities `user` acts on an incident they can see (`rules.TRANSITIONS` keys).

    Their role, when the incident is in their remit (an operator's jurisdiction, a department's
    dispatched work, a grid worker's micro-grids); `rules.REPORTER` when they filed it. A report
    seen only as its co-reporter, or filed by a grid worker outside their grids, gives neither.
    No query for any role but grid workers (once per request): list rows call this too.
    """
    role = role_of(user)
    held = set()
    if getattr(user, "is_superuser", False) or role in _REMIT_ONLY:
        held.add(role)
    elif role == Role.GRID_WORKER and (profile := profile_of(user)) is not None:
        if incident.grid_id in _grid_ids(profile):
            held.add(role)
    if incident.reporter_id is not None and incident.reporter_id == getattr(user, "pk", None):
        held.add(rules.REPORTER)
    return frozenset(held)


def incidents_visible_to(user, *, one_row: bool = False) -> QuerySet[Incident]:
    """What `user` may see; `one_row=True` when the caller looks up one incident by id."""
    condition = visibility_filter(user, one_row=one_row)
    if condition is None:
        return Incident.objects.none()
    if not condition:  # everything: the same rows without composing an empty condition
        return Incident.objects.all()
    return Incident.objects.filter(condition)


# Roles that see a few hundred rows out of the district's history: their lists sort the matches
# (bitmap scan + top-N sort, ~8 ms at 540k incidents) instead of walking the whole reported_at
# index backwards hoping to meet them (the plan PostgreSQL picks for LIMIT, ~600 ms).
_NARROW_ROLES = frozenset({Role.GRID_WORKER, Role.CITIZEN})


def newest_first(qs: QuerySet[Incident], user) -> QuerySet[Incident]:
    """Newest reports first, with a plan that suits how much the user sees.

    `DESC NULLS LAST` (reported_at is never null, so the order is the same) cannot be served by
    a backward scan of the plain index, which steers the planner to the narrow roles' indexes.
    """
    if role_of(user) in _NARROW_ROLES:
        return qs.order_by(F("reported_at").desc(nulls_last=True), "-id")
    return qs.order_by("-reported_at", "-id")


def incident_for(user, incident_id, *, related: bool = True) -> Incident:
    """One incident the user may see, or NotFound (the same answer whether absent or hidden)."""
    qs = incidents_visible_to(user, one_row=True)
    if related:
        qs = with_related(qs)
    try:
        return qs.get(pk=int(incident_id))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"incident {incident_id} not found", field="id") from None


def with_related(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """With the rows a reply, a push or a list names: town, grid and reporter joined; event type,
    category, department and command centre attached from the process's reference memo as the
    rows are fetched (`reference_rows.py`: joining all seven cost more planning than running)."""
    qs = qs.select_related("town", "grid", "reporter").defer("town__geom", "grid__geom")
    qs._iterable_class = WithReferenceRows
    return qs


def with_co_reporter_ids(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """Each incident's co-reporter ids as `co_reporter_ids`, read in the same statement (a write's
    push audiences and its reply's count used to read them with two more)."""
    through = Incident.co_reporters.through
    return qs.annotate(co_reporter_ids=ArraySubquery(
        through.objects.filter(incident_id=OuterRef("pk")).order_by("user_id").values("user_id")))


def may_see_personal_data(user, incident: Incident) -> bool:
    """Reporters' names and phones: operators and the reporter only (never departments)."""
    role = role_of(user)
    return role in (Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR) or (
        incident.reporter_id is not None and incident.reporter_id == getattr(user, "pk", None))


# --- search ----------------------------------------------------------------------------------

SEARCH_ZONE_LEVELS = (Level.VILLAGE, Level.GRID)
MAX_ID = 2 ** 63 - 1


def incidents_search(qs: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """Incidents of `qs` an operator means by `text`: "#123" is incident 123 alone; any other
    text (a bare "123" too) is its number, part of its address, or part of the name of its
    micro-grid or village ("莲花社区第1网格", "莲花"), so a bare number also finds the addresses
    and zone names holding its digits ("第1网格").

    The matching zones are looked up first (a thousand rows) and passed as literal ids, so the
    OR stays on the incident table's own columns (see `_grids` on subqueries inside an OR).
    """
    text = text.strip()
    if not text:
        return qs
    number = text.removeprefix("#").strip()
    is_number = number.isascii() and number.isdigit()
    if is_number and text.startswith("#"):
        return qs.filter(pk=int(number)) if int(number) <= MAX_ID else qs.none()
    condition = Q(address__icontains=text)
    if is_number and int(number) <= MAX_ID:
        condition |= Q(pk=int(number))
    zones = Zone.objects.filter(level__in=SEARCH_ZONE_LEVELS, name__icontains=text).values_list("pk", "level")[:2000]
    grid_ids = [pk for pk, level in zones if level == Level.GRID]
    village_ids = [pk for pk, level in zones if level == Level.VILLAGE]
    if grid_ids:
        condition |= Q(grid_id__in=grid_ids)
    if village_ids:
        condition |= Q(village_id__in=village_ids)
    return qs.filter(condition)


# --- overdue, duplicates ---------------------------------------------------------------------

def incidents_overdue(user, now: datetime | None = None) -> QuerySet[Incident]:
    """The supervisor's view: what the user can see that is past a deadline, most overdue first."""
    return incidents_visible_to(user).filter(sla.overdue_q(now)).order_by("resolution_deadline", "id")


# The duplicate rule, in one place: open incidents of the same type reported since the window
# before `now` began, within the radius on the sphere. The degree-based `ST_DWithin` uses the GiST index as a
# coarse prefilter; the metric test is `ST_DistanceSphere` (what GeoDjango's `distance_lte` in
# metres compiles to on a geographic field). `LIMIT NULL` is no limit.
_DUPLICATE_IDS_SQL = f"""
SELECT id FROM {Incident._meta.db_table}
WHERE event_type_id = %s AND status IN ({", ".join(f"'{status}'" for status in OPEN_STATUSES)})
  AND reported_at >= %s::timestamptz AND id <> %s
  AND ST_DWithin(point, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)
  AND ST_DistanceSphere(point, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) <= %s
ORDER BY reported_at, id
LIMIT %s
"""


def duplicate_ids(*, event_type_id: int, point: Point, now: datetime | None = None, exclude_id: int | None = None,
                  limit: int | None = 20) -> list[int]:
    """Ids of the duplicates a report of this type at `point` made at `now` would have, earliest first.

    Every report asks this; as a fixed statement prepared once per connection it costs neither
    the ORM's compiling nor PostgreSQL's planning on each report (issue 13, intake profile). The
    querysets below start from these ids, so the rule has this one home."""
    now = now or timezone.now()
    radius = conf.duplicate_radius_m()
    since = now - timedelta(hours=conf.duplicate_window_hours())
    x, y = float(point.x), float(point.y)
    with connection.cursor() as cursor:
        prepared.execute(cursor, _DUPLICATE_IDS_SQL,
                         [int(event_type_id), since.isoformat(), int(exclude_id or 0),
                          x, y, radius / 100_000.0, x, y, float(radius), None if limit is None else int(limit)])
        return [row[0] for row in cursor.fetchall()]


def duplicate_candidates(*, event_type_id: int, point: Point, exclude_id: int | None = None,
                         now: datetime | None = None) -> QuerySet[Incident]:
    """`duplicate_ids` as a queryset, earliest first (for callers that join or narrow them)."""
    ids = duplicate_ids(event_type_id=event_type_id, point=point, now=now, exclude_id=exclude_id, limit=None)
    return Incident.objects.filter(pk__in=ids).order_by("reported_at", "id")


def duplicates_for(user, incident: Incident) -> QuerySet[Incident]:
    """Suggested duplicates of `incident` that the user may see (earliest first)."""
    candidates = duplicate_candidates(event_type_id=incident.event_type_id, point=incident.point,
                                      exclude_id=incident.pk, now=incident.reported_at + timedelta(seconds=1))
    return with_related(candidates.filter(pk__in=incidents_visible_to(user).values("pk"),
                                          reported_at__lte=incident.reported_at + timedelta(seconds=1)))


def visible_ids(user, ids: list[int]) -> list[int]:
    """The ids among `ids` the user may see, in the given order (one statement by primary key).

    The statement is `incidents_visible_to(user, one_row=True)` compiled once per user object
    (`reach_statement`): a photo's reach check and a report's duplicate suggestions ran it on
    every request, and building and compiling the condition was ~0.6 ms of the ~0.9 ms each."""
    # Ids past bigint name no row; the raw statement would fail on them instead (a 500).
    ids = [pk for pk in ids if _BIGINT_MIN <= pk <= _BIGINT_MAX]
    statement = reach_statement(user) if ids else None
    if statement is None:
        return []
    sql, params = statement
    with connections[router.db_for_read(Incident)].cursor() as cursor:
        cursor.execute(sql, [*params, ids])
        seen = {row[0] for row in cursor.fetchall()}
    return [pk for pk in ids if pk in seen]


_BIGINT_MIN, _BIGINT_MAX = -2**63, 2**63 - 1


_REACH = "_incident_reach_statement"


def reach_statement(user) -> tuple[str, tuple] | None:
    """(sql, params) selecting, among the ids of one more array parameter, those `user` may see;
    None when they see nothing. The rule is `incidents_visible_to`'s, compiled, not restated.

    Kept on the user object: a token user carries it in the token cache (`preload_reach`, a
    `core.tokens.user_preloaders` entry), which is dropped whenever the user's role, zone,
    department or grids change (`forget_user`), the only inputs of the condition; the one-row
    phrasing reads co-reported ids inside the statement, so new co-reports need no refresh."""
    kept = getattr(user, _REACH, None)
    if kept is None:
        query = incidents_visible_to(user, one_row=True).order_by().values_list("pk", flat=True).query
        try:  # compiled for the database `visible_ids` reads
            inner, params = ("", ()) if query.is_empty() else query.get_compiler(router.db_for_read(Incident)).as_sql()
        except EmptyResultSet:
            inner, params = "", ()
        kept = (f"SELECT reach.pk FROM ({inner}) AS reach WHERE reach.pk = ANY(%s)" if inner else "", tuple(params))
        setattr(user, _REACH, kept)
    return kept if kept[0] else None


def preload_reach(user) -> None:
    """Registered with `core.tokens.user_preloaders` after `preload_grid_ids`."""
    reach_statement(user)


# --- catalogue search ------------------------------------------------------------------------

def event_types_search(q: str = "", *, category: str | None = None, limit: int = 50) -> list[EventType]:
    """Event types matching Chinese words, pinyin initials or full pinyin, or a code; best first.

    Chinese: exact name, then name prefix, then substring, then keyword. Latin letters: the
    pinyin index (`search.py`), where "jg" ranks 井盖 types first. Digits: code prefix.
    """
    qs = EventType.objects.filter(active=True).select_related("category", "department")
    if category:
        qs = qs.filter(category__code=category)
    text = (q or "").strip()
    if not text:
        return list(qs.order_by("code")[:limit])
    if text.isdigit():
        return list(qs.filter(code__startswith=text).order_by("code")[:limit])
    if text.isascii():
        from .search import catalogue_index

        # Rank over the whole catalogue, then keep those in the category (few hundred at most).
        ids = catalogue_index().search(text, limit if not category else 2000)
        found = qs.in_bulk(ids)
        return [found[pk] for pk in ids if pk in found][:limit]
    # Then, the words in order with others between (垃圾满溢 → 厨余垃圾桶满溢): the same ranks as the
    # tablet's offline search (static/tablet/type_search.js).
    in_order = ".*".join(re.escape(ch) for ch in text if not ch.isspace())
    rank = Case(
        When(name=text, then=Value(0)),
        When(name__startswith=text, then=Value(1)),
        When(name__contains=text, then=Value(2)),
        When(keywords__contains=text, then=Value(3)),
        default=Value(4), output_field=IntegerField(),
    )
    return list(qs.filter(Q(name__contains=text) | Q(keywords__contains=text) | Q(name__regex=in_order))
                .annotate(rank=rank).order_by("rank", "code")[:limit])


# --- worker positions ------------------------------------------------------------------------

def positions_visible_to(user) -> QuerySet[WorkerPosition]:
    """Operators see grid workers' positions in their jurisdiction; a worker sees their own."""
    role = role_of(user)
    if role == Role.DISTRICT_OPERATOR:
        return WorkerPosition.objects.all()
    profile = profile_of(user)
    if role == Role.TOWN_OPERATOR and profile and profile.zone_id:
        return WorkerPosition.objects.filter(town_id=profile.zone_id)
    if role == Role.GRID_WORKER:
        return WorkerPosition.objects.filter(user_id=user.pk)
    return WorkerPosition.objects.none()


def positions_latest(user, *, since: datetime | None = None) -> QuerySet[WorkerPosition]:
    """The latest ping of each worker the user may see (DISTINCT ON user, newest first)."""
    qs = positions_visible_to(user)
    if since is not None:
        qs = qs.filter(recorded_at__gte=since)
    return qs.select_related("user", "grid").defer("grid__geom").order_by("user_id", "-recorded_at").distinct("user_id")
