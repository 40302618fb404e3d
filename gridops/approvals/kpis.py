"""Approvals KPIs (cases per day, waits, on-the-spot share, satisfaction) per hall, item, department
or the district, and whose halls a user's KPIs may count."""
from __future__ import annotations

from datetime import date

from django.db import connection

from gridops.accounts.selectors import NO_ZONE, jurisdiction_code
from gridops.core.errors import Forbidden, InvalidInput

from . import rules
from .selectors import day_bounds

DISTRICT_CODE = "440604"
KPI_GROUPS = {
    # by -> (join to the group's table, code column, name column); a table, not a chain of ifs.
    "hall": ("JOIN approvals_hall g ON g.id = c.accepted_hall_id", "g.code", "g.name"),
    "item": ("JOIN approvals_item g ON g.id = c.item_id", "g.code", "g.name"),
    "department": ("JOIN accounts_department g ON g.id = c.department_id", "g.code", "g.name"),
    "district": ("", "'440604'::text", "'禅城区'::text"),
}


def kpi_zone(user, asked: str | None) -> str | None:
    """The zone whose halls `user`'s KPIs count: what they asked for, within their jurisdiction
    (`accounts.selectors.jurisdiction_code`: a town operator sees their town's halls only, by
    default and at most; district-wide roles any zone, or the district when they ask for none)."""
    scope = jurisdiction_code(user)
    if scope is None:
        return asked
    if scope == NO_ZONE:
        raise Forbidden("your account has no zone to report on", field="zone")
    if asked is None or asked == scope[:len(asked)]:
        return scope  # the district, or a parent of their town, is cut to their town
    if not asked.startswith(scope):
        raise Forbidden("KPIs of another town are not yours to read", field="zone")
    return asked


def kpis(*, by: str, start: date, end: date, zone: str | None = None) -> list[dict]:
    """Cases per day, median wait and handling, on-the-spot share and satisfaction, per group.

    Counted on cases accepted in [start, end] (local days), at the halls of `zone` (a zone code;
    online cases, accepted by no hall, count only district-wide). Wait and handling times come
    from the counter (online cases have none); the satisfaction rate is `rules.satisfaction_rate`.
    """
    if by not in KPI_GROUPS:
        raise InvalidInput(f"group by one of {', '.join(KPI_GROUPS)}", field="by")
    if end < start:
        raise InvalidInput("the period ends before it starts", field="end")
    join, code, name = KPI_GROUPS[by]
    days = (end - start).days + 1
    since, _ = day_bounds(start)
    _, until = day_bounds(end)
    params: list = [since, until]
    in_zone = ""
    if zone and len(zone) > len(DISTRICT_CODE):
        in_zone = ("AND c.accepted_hall_id IN (SELECT h.id FROM approvals_hall h "
                   "JOIN geodata_zone z ON z.id = h.zone_id WHERE z.code LIKE %s)")
        params.append(zone + "%")
    sql = f"""
        SELECT {code} AS code, {name} AS name,
               count(*) AS cases,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY c.wait_seconds) AS median_wait_s,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY c.handling_seconds) AS median_handling_s,
               (count(*) FILTER (WHERE c.on_the_spot))::float / count(*) AS on_the_spot_share,
               count(*) FILTER (WHERE c.rating = 'satisfied') AS satisfied,
               count(*) FILTER (WHERE c.rating = 'basic') AS basic,
               count(*) FILTER (WHERE c.rating = 'unsatisfied') AS unsatisfied,
               {rules.SATISFACTION_RATE_SQL.format(t='c')} AS satisfaction_rate
          FROM approvals_case c {join}
         WHERE c.accepted_at >= %s AND c.accepted_at < %s AND c.state <> 'submitted' {in_zone}
         GROUP BY 1, 2
         ORDER BY count(*) DESC, 1
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        columns = [col[0] for col in cur.description]
        rows = [dict(zip(columns, row)) for row in cur.fetchall()]
    for row in rows:
        row["cases_per_day"] = row["cases"] / days
    return rows
