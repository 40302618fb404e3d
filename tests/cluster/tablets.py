"""A tablet that keeps reporting through a failing cluster, as the tablet app does.

Every report carries a `client_key`; an answer that is not final (a transport error, 502/503/504
from the balancer or a node) is retried with the same key until the report is answered 200/201,
so a report whose commit happened but whose answer was lost comes back as the same incident
instead of a second one. Each key is followed to an answer, even past the end of the stream:
a key left unanswered could be stored without anyone having been told, and then "stored ==
acknowledged" could not be checked.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from tests.reliability.test_faults import REPORTS_URL, client, report_body

RETRIED_STATUSES = {502, 503, 504}


@dataclass
class Acceptance:
    key: str
    incident_id: int
    first_sent: float   # epoch of the key's first attempt
    sent: float         # epoch of the attempt that was answered
    answered: float     # epoch of the answer
    status: int
    attempts: int


@dataclass
class TabletLog:
    accepted: dict[str, Acceptance] = field(default_factory=dict)
    codes: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # final answers other than 200/201

    def count(self, status: int) -> None:
        self.codes[status] = self.codes.get(status, 0) + 1


async def report_until_answered(http: httpx.AsyncClient, key: str, point, log: TabletLog,
                                give_up_at: float) -> None:
    first_sent = time.time()
    attempts = 0
    while time.monotonic() < give_up_at:
        attempts += 1
        sent = time.time()
        try:
            answer = await http.post(REPORTS_URL, json=report_body(key, point=point))
        except httpx.TransportError:
            log.transport_errors += 1
            await asyncio.sleep(0.2)
            continue
        log.count(answer.status_code)
        if answer.status_code in RETRIED_STATUSES:
            await asyncio.sleep(0.3)
            continue
        if answer.status_code in (200, 201):
            log.accepted[key] = Acceptance(key, answer.json()["id"], first_sent, sent, time.time(),
                                           answer.status_code, attempts)
        else:
            log.refused.append((answer.status_code, answer.text[:300]))
        return
    log.refused.append((0, f"{key}: no answer before giving up"))


async def tablet(endpoint, token: str, prefix: str, point, stop_at: float, log: TabletLog,
                 patience: float = 120) -> None:
    """Report one incident after another until `stop_at` (monotonic), each followed to its answer."""
    n = 0
    async with client(endpoint, token) as http:
        while time.monotonic() < stop_at:
            await report_until_answered(http, f"{prefix}{n}", point, log, give_up_at=stop_at + patience)
            n += 1
