"""Writes of the incidents app, one module per job.

- `intake`: `incident_report`, the one entry for creating incidents (tablet API, web, Open311,
  the hotline importer), with locating, routing, deadlines, idempotency and automatic dispatch;
- `lifecycle`: status transitions and merging duplicates, guarded by version and role;
- `escalation`: the sweep that raises incidents past an SLA deadline a level;
- `photos`: attaching photos to an incident;
- `positions`: grid workers' position pings;
- `points` (device coordinates → storage points) and `trail` (the history row and live push
  every write leaves behind) are what those share.

Callers import the module that does the job (`from gridops.incidents.services.intake import
incident_report`); this package re-exports nothing, so each name has one import path.
"""
