"""A plausible multi-year history of approval cases, written with COPY.

The district reports close to six million cases; the generator draws them with numpy in chunks
and streams each chunk to PostgreSQL with COPY (no ORM objects), so millions load in minutes.
The figures it is asked for are reproduced by the KPI queries: counter handling and waiting
times are log-normal with the requested medians (the median of a log-normal is e^mu), and each
rated case is 不满意 with probability 1 - satisfaction rate, so `rules.satisfaction_rate` of a
generated year lands on the request within sampling error.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from gridops.core.demo import SEED_SATISFACTION_RATE
from gridops.core.errors import Conflict, InvalidInput
from gridops.core.resident_id import resident_id_with_check

from . import rules
from .models import Case, Hall, HallKind, Item

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健志鹏宇浩嘉欣梓晴子轩俊杰雅琪家豪锦荣伟业惠珍"
FIRMS = ["陶瓷", "五金", "纺织", "餐饮", "物流", "电子", "建材", "贸易", "家居", "医药", "广告", "科技", "酒店", "装饰", "食品"]
HALL_WEIGHTS = {HallKind.DISTRICT_CENTRE: 0.35, HallKind.TOWN_CENTRE: 0.45, HallKind.VILLAGE_STATION: 0.20}
CASE_COLUMNS = [
    "number", "applicant_id", "item_id", "department_id", "channel", "state", "accepted_hall_id", "finished_hall_id",
    "submitted_at", "accepted_at", "due_date", "decided_at", "delivered_at", "on_the_spot", "wait_seconds",
    "handling_seconds", "decision_note", "delivery_method", "delivery_address", "courier_tracking", "rating",
    "rating_comment", "rated_at",
]
CHUNK = 250_000


@dataclass
class HistoryRequest:
    cases: int
    years: float = 1.0
    end: date | None = None
    seed: int = 20240601
    median_handling_minutes: float = 8.0
    handling_spread: float = 0.45  # sigma of the log-normal handling time (0.2: ~90 % within ±40 %)
    median_wait_minutes: float = 6.0
    satisfaction_rate: float = SEED_SATISFACTION_RATE  # the seed's 95.69 %
    rated_share: float = 0.85
    online_share: float = 0.4

    def validate(self) -> None:
        if not 1 <= self.cases <= 20_000_000:
            raise InvalidInput("cases must be 1..20,000,000", field="cases")
        if not 0 < self.years <= 10:
            raise InvalidInput("years must be in (0, 10]", field="years")
        for name in ("satisfaction_rate", "rated_share", "online_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidInput(f"{name} is a share in [0, 1]", field=name)
        if self.median_handling_minutes <= 0 or self.median_wait_minutes <= 0:
            raise InvalidInput("medians must be positive", field="median_handling_minutes")
        if not 0 < self.handling_spread <= 2:
            raise InvalidInput("handling_spread is a log-normal sigma in (0, 2]", field="handling_spread")


def _working_days(start: date, end: date) -> np.ndarray:
    days, current = [], start
    while current <= end:
        if rules.is_working_day(current):
            days.append(current)
        current += timedelta(days=1)
    return np.array(days, dtype="datetime64[D]")


def _due_table(days: np.ndarray, limits: np.ndarray) -> dict[tuple, np.datetime64]:
    """Working-day due dates for every (day, legal limit) pair the history uses (few distinct)."""
    table = {}
    for day in days.astype(object):
        for limit in np.unique(limits):
            table[(day, int(limit))] = np.datetime64(rules.add_working_days(day, int(limit)), "D")
    return table


def _applicant_pool(rng: np.random.Generator, size: int, log) -> tuple[np.ndarray, np.ndarray]:
    """Ids of `size` generated applicants (persons and companies), created once and reused.

    Identity numbers are derived from the index, so a re-run finds the same applicants.
    """
    persons = int(size * 0.8)
    companies = size - persons
    rows = io.StringIO()
    base = date(1945, 1, 1)
    for i in range(persons):
        birth = base + timedelta(days=i % 21900)
        number = resident_id_with_check(f"440604{birth:%Y%m%d}{i // 21900 % 1000:03d}")
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)] * (i % 3 > 0)
        rows.write(f"{number}\t{name}\tperson\n")
    for i in range(companies):
        number = rules.uscc_with_check(f"91440604{i:09d}")
        name = f"佛山市禅城区{FIRMS[i % len(FIRMS)]}{i:05d}有限公司"
        rows.write(f"{number}\t{name}\tcompany\n")
    rows.seek(0)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS tmp_hist_applicant")
        cur.execute("CREATE TEMP TABLE tmp_hist_applicant (ord serial, id_number text, name text, kind text) ON COMMIT DROP")
        cur.copy_expert("COPY tmp_hist_applicant (id_number, name, kind) FROM STDIN", rows)
        cur.execute(
            """INSERT INTO approvals_applicant (kind, id_number, name, phone)
               SELECT kind, id_number, name, '' FROM tmp_hist_applicant ON CONFLICT (id_number) DO NOTHING"""
        )
        cur.execute(
            """SELECT a.id, t.kind = 'company' FROM tmp_hist_applicant t
                 JOIN approvals_applicant a USING (id_number) ORDER BY t.ord"""
        )
        fetched = cur.fetchall()
    log(f"history: {size} applicants ready")
    ids = np.array([row[0] for row in fetched], dtype=np.int64)
    is_company = np.array([row[1] for row in fetched], dtype=bool)
    return ids[~is_company], ids[is_company]


def _timestamps(values: np.ndarray) -> np.ndarray:
    """datetime64[s] (UTC) as text COPY reads, NaT as \\N."""
    text = np.datetime_as_string(values, unit="s").astype(object)
    mask = np.isnat(values)
    text[mask] = "\\N"
    text[~mask] = text[~mask] + "+00"
    return text


def _nullable(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[~mask] = "\\N"
    return out


def generate_history(request: HistoryRequest, *, log=print, only_if_empty: bool = False) -> dict:
    """Write `request.cases` delivered-era cases over `request.years` years ending `request.end`."""
    request.validate()
    rng = np.random.default_rng(request.seed)
    halls = list(Hall.objects.filter(is_active=True).values("id", "kind"))
    items = list(Item.objects.filter(is_active=True).values(
        "id", "department_id", "on_the_spot", "online", "legal_limit_days", "promised_limit_days", "applicant_kind"
    ).order_by("code"))
    if not halls or not items:
        raise Conflict("load the service network and the item catalogue first", field="cases")
    end = request.end or timezone.localdate() - timedelta(days=1)
    start = end - timedelta(days=round(365.25 * request.years) - 1)
    days = _working_days(start, end)
    tz_offset = np.timedelta64(int(timezone.localtime().utcoffset().total_seconds()), "s")

    # Hall weights: each kind's share spread evenly over its halls.
    hall_ids = np.array([h["id"] for h in halls])
    kind_counts = {kind: sum(h["kind"] == kind for h in halls) for kind in HALL_WEIGHTS}
    hall_p = np.array([HALL_WEIGHTS[h["kind"]] / kind_counts[h["kind"]] for h in halls])
    hall_p /= hall_p.sum()
    # Item popularity: a few items (居住证, 个体户, 社保) carry most of the volume.
    item_p = 1.0 / np.power(rng.permutation(len(items)) + 1.0, 0.9)
    item_p /= item_p.sum()
    col = {key: np.array([item[key] for item in items]) for key in items[0]}
    due = _due_table(days, col["legal_limit_days"])
    mu_handling = math.log(request.median_handling_minutes * 60)
    mu_wait = math.log(request.median_wait_minutes * 60)
    written = 0
    started = timezone.now()
    with transaction.atomic():
        # One generator at a time (two demo loads may race): numbers continue after the last one.
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('gridops.approvals.history'))")
        if only_if_empty and history_loaded():
            log("history: already loaded")
            return {"cases": 0, "start": start, "end": end, "seconds": 0.0}
        offset = Case.objects.filter(number__startswith="H").count()
        persons, companies = _applicant_pool(rng, max(10, request.cases // 4), log)
        with connection.cursor() as cur:
            while written < request.cases:
                n = min(CHUNK, request.cases - written)
                buffer = _chunk(rng, n, offset + written, request, days, hall_ids, hall_p, item_p, col,
                                persons, companies, due, mu_handling, mu_wait, tz_offset)
                cur.copy_expert(f"COPY approvals_case ({', '.join(CASE_COLUMNS)}) FROM STDIN", buffer)
                written += n
                if written % 1_000_000 < CHUNK:
                    log(f"history: {written} cases")
    seconds = (timezone.now() - started).total_seconds()
    log(f"history: {written} cases from {start} to {end} in {seconds:.1f}s")
    return {"cases": written, "start": start, "end": end, "seconds": seconds}


def _chunk(rng, n, first, request, days, hall_ids, hall_p, item_p, col, persons, companies, due,
           mu_handling, mu_wait, tz_offset) -> io.StringIO:
    """One chunk of cases as tab-separated COPY text."""
    day = days[rng.integers(0, len(days), n)]
    local = day.astype("datetime64[s]") + (9 * 3600 + rng.integers(0, 8 * 3600, n)).astype("timedelta64[s]")
    submitted = local - tz_offset
    item_ix = rng.choice(len(item_p), size=n, p=item_p)
    online = col["online"][item_ix] & (rng.random(n) < request.online_share)
    counter = ~online
    company = col["applicant_kind"][item_ix] == "company"
    applicant = np.where(company, companies[rng.integers(0, len(companies), n)], persons[rng.integers(0, len(persons), n)])
    hall = hall_ids[rng.choice(len(hall_ids), size=n, p=hall_p)]
    wait = np.rint(rng.lognormal(mu_wait, 0.6, n)).astype(np.int64)
    handling = np.rint(rng.lognormal(mu_handling, request.handling_spread, n)).astype(np.int64)
    spot = counter & col["on_the_spot"][item_ix]
    accepted = np.where(counter, submitted + (wait + handling // 2).astype("timedelta64[s]"),
                        submitted + rng.integers(1800, 20 * 3600, n).astype("timedelta64[s]"))
    promised = col["promised_limit_days"][item_ix]
    review_days = np.ceil(promised * rng.uniform(0.3, 1.0, n) * 1.4).astype(np.int64)
    decided = np.where(spot, accepted + (handling // 2).astype("timedelta64[s]"),
                       accepted + (review_days * 86400 + rng.integers(0, 6 * 3600, n)).astype("timedelta64[s]"))
    fate = rng.random(n)
    returned = fate < 0.015
    refused = (fate >= 0.015) & (fate < 0.03)
    state = np.where(returned, "returned", "delivered")
    decided = np.where(returned, np.datetime64("NaT"), decided)
    courier = np.where(online, rng.random(n) < 0.8, rng.random(n) < 0.3) & ~spot & ~returned
    delivered = np.where(returned, np.datetime64("NaT"),
                         np.where(spot, decided, decided + rng.integers(3600, 3 * 86400, n).astype("timedelta64[s]")))
    elsewhere = rng.random(n) < np.where(online, 1.0, 0.15)
    finished_hall = np.where(courier | returned, 0, np.where(elsewhere, hall_ids[rng.integers(0, len(hall_ids), n)], hall))
    rated = ~returned & (rng.random(n) < request.rated_share)
    score = rng.random(n)
    unsatisfied = score >= request.satisfaction_rate
    basic = ~unsatisfied & (score >= request.satisfaction_rate * 0.88)
    rating = np.where(~rated, "", np.where(unsatisfied, "unsatisfied", np.where(basic, "basic", "satisfied")))
    rated_at = np.where(rated, delivered + rng.integers(60, 2 * 86400, n).astype("timedelta64[s]"), np.datetime64("NaT"))
    due_dates = np.array([due[(d, int(lim))] for d, lim in zip(day.astype(object), col["legal_limit_days"][item_ix])])
    numbers = np.char.add(np.char.add("H", np.datetime_as_string(day).astype("U10")),
                          np.char.zfill(np.arange(first, first + n).astype("U9"), 9))
    numbers = np.char.replace(numbers, "-", "")
    frame = pd.DataFrame({
        "number": numbers,
        "applicant_id": applicant,
        "item_id": col["id"][item_ix],
        "department_id": col["department_id"][item_ix],
        "channel": np.where(online, "online", "counter"),
        "state": state,
        "accepted_hall_id": _nullable(hall, counter),
        "finished_hall_id": _nullable(finished_hall, finished_hall > 0),
        "submitted_at": _timestamps(submitted),
        "accepted_at": _timestamps(accepted),
        "due_date": np.datetime_as_string(due_dates),
        "decided_at": _timestamps(decided),
        "delivered_at": _timestamps(delivered),
        "on_the_spot": np.where(spot, "t", "f"),
        "wait_seconds": _nullable(wait, counter),
        "handling_seconds": _nullable(handling, counter),
        "decision_note": np.where(refused, "不符合法定条件，不予许可", ""),
        "delivery_method": np.where(returned, "", np.where(courier, "courier", "pickup")),
        "delivery_address": np.where(courier, "佛山市禅城区", ""),
        "courier_tracking": np.where(courier, "EMS", ""),
        "rating": rating,
        "rating_comment": np.where(unsatisfied & rated, "等候时间较长", ""),
        "rated_at": _timestamps(rated_at),
    }, columns=CASE_COLUMNS)
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="\t", header=False, index=False, quoting=3)
    buffer.seek(0)
    return buffer


def history_loaded() -> bool:
    return Case.objects.filter(number__startswith="H").exists()
