"""CPU and queries per GET of the Open311 request feed (issue 13): `python -m bench.open311_feed`.

The machine is shared, so wall time says little; this measures what one GET costs the worker:
the median `time.process_time()` around a Django test-client call (n per case; "warm" with the
entries of earlier GETs reused, "cold" with none), the queries it sends (counted by an execute
wrapper, in a separate untimed call), what PostgreSQL spends on them (`_pg_ms`), and the bytes
it answers. Run it against
a database with the demo district and its incidents (`manage.py load_demo`) through DATABASE_URL.

`--save DIR` writes every case's body to DIR; `--compare DIR` checks the bodies are byte-identical
to a saved run (how the rewrite of the feed was checked on the demo data besides the tests).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def _cases(ids: list[int], codes: list[str], newest: str, oldest: str) -> list[tuple[str, str, dict]]:
    """(name, path, query): the default feed in both formats, every filter, and the detail view."""
    some = ",".join(str(i) for i in ids[:50])
    return [
        ("feed.json", "/open311/v2/requests.json", {}),
        ("feed.xml", "/open311/v2/requests.xml", {}),
        ("status=open.json", "/open311/v2/requests.json", {"status": "open"}),
        ("status=closed.xml", "/open311/v2/requests.xml", {"status": "closed"}),
        ("service_code.json", "/open311/v2/requests.json", {"service_code": ",".join(codes[:3])}),
        ("dates.json", "/open311/v2/requests.json", {"start_date": oldest, "end_date": newest}),
        ("ids50.json", "/open311/v2/requests.json", {"service_request_id": some}),
        ("ids50.xml", "/open311/v2/requests.xml", {"service_request_id": some}),
        ("page2.json", "/open311/v2/requests.json", {"page": "2"}),
        ("detail.json", f"/open311/v2/requests/{ids[0]}.json", {}),
        ("detail.xml", f"/open311/v2/requests/{ids[0]}.xml", {}),
    ]


def _forget_rendered() -> None:
    """Cold: no entry rendered yet (the first GET after a start, or every entry changed)."""
    from gridops.incidents.open311 import serializers

    getattr(serializers, "_ENTRIES", {}).clear()


def _pg_ms(connection, queries, n: int) -> str:
    """What PostgreSQL spends on the GET's queries: its backend's CPU time (utime + stime from
    /proc, so other sessions' load does not count) per run of the same SQL, and the planning and
    execution times EXPLAIN ANALYZE reports (wall clock, timing off: inflated on a busy machine;
    the minimum of n is given)."""
    plan, run = [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        before = _cpu_ticks(stat)
        for _ in range(n):
            for sql, params in queries:
                cursor.execute(sql, params)
                cursor.fetchall()
        cpu_ms = (_cpu_ticks(stat) - before) * 1000 / os.sysconf("SC_CLK_TCK") / n
        for _ in range(n):
            spent = {"Planning Time": 0.0, "Execution Time": 0.0}
            for sql, params in queries:
                cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " + sql, params)
                for (line,) in cursor.fetchall():
                    if line.startswith(tuple(spent)):
                        spent[line.split(":")[0]] += float(line.split()[2])
            plan.append(spent["Planning Time"])
            run.append(spent["Execution Time"])
    return f"cpu {cpu_ms:5.1f} (plan {min(plan):4.1f} + run {min(run):5.1f})"


def _cpu_ticks(stat: Path) -> int:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridops.settings.local")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from gridops.incidents.open311 import selectors

    feed = selectors.public_requests().order_by("-reported_at", "-id")
    ids = list(feed.values_list("id", flat=True)[:50])
    codes = [c for c in feed.values_list("event_type__code", flat=True)[:200]]
    codes = sorted(set(codes), key=codes.index)
    now = timezone.localtime()
    newest = now.isoformat(timespec="seconds")
    oldest = (now - timezone.timedelta(days=30)).isoformat(timespec="seconds")
    print(f"public requests in the last 90 days: "
          f"{feed.filter(reported_at__gte=now - timezone.timedelta(days=90)).count()}; all public: {feed.count()}")
    client = Client()
    failed = False
    for name, path, query in _cases(ids, codes, newest, oldest):
        if args.only and args.only not in name:
            continue
        client.get(path, query)  # warm: the first call pays imports and connection setup
        queries = []
        with connection.execute_wrapper(lambda execute, sql, params, *rest: queries.append((sql, params))
                                        or execute(sql, params, *rest)):
            response = client.get(path, query)
        body = response.content
        cpu = {}
        for mode in ("warm", "cold"):
            samples = []
            for _ in range(args.n):
                if mode == "cold":
                    _forget_rendered()
                started = time.process_time()
                client.get(path, query)
                samples.append(time.process_time() - started)
            cpu[mode] = f"{statistics.median(samples) * 1000:6.1f} (min {min(samples) * 1000:5.1f})"
        count = body.count(b'"service_request_id"') + body.count(b"<service_request_id>")
        print(f"{name:18} {response.status_code} items {count:4} bytes {len(body):7} queries {len(queries)} "
              f"PostgreSQL ms {_pg_ms(connection, queries, args.n)}; CPU ms warm {cpu['warm']}, "
              f"cold {cpu['cold']}, n={args.n}")
        if args.save:
            Path(args.save).mkdir(parents=True, exist_ok=True)
            Path(args.save, name).write_bytes(body)
        if args.compare:
            same = Path(args.compare, name).read_bytes() == body
            failed |= not same
            print(f"{'':20} byte-identical to {args.compare}: {same}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
