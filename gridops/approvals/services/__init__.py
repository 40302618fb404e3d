"""Writes of the approvals app, one module per job.

- `queue`: tickets, bookings and counters of a service hall (取号, 预约, 叫号), and clerks' halls;
- `cases`: applications from acceptance to delivery (受理 → 审查 → 办结 → 送达) and their rating;
- `documents`: the applicant's files, checked by content and kept once.

Every write that changes a hall's queue publishes `hall.queue` from the same transaction (the
realtime app pushes it after commit), so a rolled-back call never reaches a screen. Callers
import the module that does the job (`from gridops.approvals.services import queue`); this
package re-exports nothing, so each name has one import path.
"""
