"""Settings of the app processes the reliability tests start (uvicorn, sweeps, seeding).

The test settings, plus the few knobs a fault test turns through the environment: a small
escalation batch so a sweep spans many transactions (and can be killed between them), the
Open311 key of the load clients, and media files in a throwaway directory.
"""
import os

from gridops.settings.test import *  # noqa: F401,F403

GRIDOPS_ESCALATION_BATCH = int(os.environ.get("GRIDOPS_ESCALATION_BATCH", "500"))
GRIDOPS_OPEN311_API_KEYS = os.environ.get("GRIDOPS_OPEN311_API_KEYS", "reliability-key:reliability")
