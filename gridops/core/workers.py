"""Long-running background workers started by `make run` (`manage.py run_workers`).

Each app contributes a `tick() -> None` function; the runner calls them on their interval.
"""
WORKERS: dict[str, float] = {
    "gridops.realtime.services.events_prune": 3600.0,
    "gridops.emergency.services.escalation_tick": 30.0,
    "gridops.core.partitioning.maintain": 3600.0,
    "gridops.incidents.services.escalation.escalation_tick": 30.0,
    "gridops.ledger.services.log.sign_if_grown": 30.0,
    "gridops.foresight.services.warning_tick": 3600.0,
    "gridops.sensors.services.heartbeat_tick": 60.0,
}
