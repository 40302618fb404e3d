"""Approvals: load ~6,000,000 cases with COPY, then KPIs over them and the live map layer.

The district reports close to six million cases. The bench database's cases are emptied and a
five-year history of 6,000,000 is generated (`gridops.approvals.history`, numpy + COPY); the
figures asked for (median counter handling time, satisfaction rate) are read back through the
KPI SQL for the last year. The halls layer (GeoJSON with live queues) is timed through HTTP
against the baseline of its two grouped SQL queries run directly.
Only the bench database is touched.
"""
from __future__ import annotations

import http.client
import os
import time
from datetime import timedelta
from urllib.parse import urlparse

from django.db import connection
from django.utils import timezone

from bench.support import live_server, percentiles_ms, timed
from gridops.approvals import kpis, selectors
from gridops.approvals.history import HistoryRequest, generate_history
from gridops.approvals.models import Hall

DEMO_STEPS = ["load_demo_zones", "load_demo_catalogue", "load_demo_accounts", "load_demo_approvals"]
CASES = int(os.environ.get("BENCH_APPROVALS_CASES", "6000000"))
MEDIAN_HANDLING_MINUTES = 8.0
SATISFACTION_RATE = 0.995


def _http_samples(base: str, path: str, n: int) -> list[float]:
    url = urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        samples.append(time.perf_counter() - started)
    conn.close()
    return samples


def run() -> dict:
    with connection.cursor() as cur:
        cur.execute("TRUNCATE approvals_casedocument, approvals_caseevent, approvals_case_missing_documents, "
                    "approvals_case")
    end = timezone.localdate() - timedelta(days=1)
    request = HistoryRequest(cases=CASES, years=5, end=end, median_handling_minutes=MEDIAN_HANDLING_MINUTES,
                             satisfaction_rate=SATISFACTION_RATE)
    load_s, result = timed(generate_history, request, log=print)
    with connection.cursor() as cur:
        cur.execute("ANALYZE approvals_case")
    year_start = end - timedelta(days=364)
    kpi = {}
    for by in ("district", "department", "hall", "item"):
        seconds, rows = timed(kpis.kpis, by=by, start=year_start, end=end)
        kpi[by] = {"seconds": round(seconds, 2), "groups": len(rows)}
    _, (district,) = timed(kpis.kpis, by="district", start=year_start, end=end)
    halls = list(Hall.objects.filter(is_active=True).select_related("zone"))
    raw = [timed(selectors.halls_today, halls)[0] for _ in range(50)]
    with live_server() as base:
        _http_samples(base, "/api/v1/approvals/halls/", 5)
        http_samples = _http_samples(base, "/api/v1/approvals/halls/", 50)
    raw_p, http_p = percentiles_ms(raw), percentiles_ms(http_samples)
    return {
        "cases_loaded": result["cases"],
        "years": 5,
        "load_seconds": round(load_s, 1),
        "cases_per_second": round(result["cases"] / load_s),
        "last_year": {
            "cases": district["cases"],
            "requested_median_handling_min": MEDIAN_HANDLING_MINUTES,
            "measured_median_handling_min": round(district["median_handling_s"] / 60, 3),
            "requested_satisfaction_rate": SATISFACTION_RATE,
            "measured_satisfaction_rate": round(district["satisfaction_rate"], 4),
            "median_wait_min": round(district["median_wait_s"] / 60, 2),
            "on_the_spot_share": round(district["on_the_spot_share"], 3),
            "cases_per_day": round(district["cases_per_day"], 1),
        },
        "kpi_queries_last_year": kpi,
        "halls_layer": {"halls": len(halls), "raw_sql": raw_p, "http": http_p,
                        "http_over_raw_p50": round(http_p["p50_ms"] / max(raw_p["p50_ms"], 1e-6), 1)},
    }
