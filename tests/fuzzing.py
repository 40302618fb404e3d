"""Hypothesis profiles: `make test` is deterministic, `make fuzz-long` explores.

- `deterministic` (the default): `derandomize=True`, so every property test draws the same
  examples on every run and machine (a fresh clone's `make test` used to pass or fail by chance
  on `test_get_never_fails`); no example database, no deadline (a shared CI machine is slow).
- `long` (`GRIDOPS_HYPOTHESIS_PROFILE=long`, set by `make fuzz-long`): random examples, ten times
  as many per test (`examples()`), failures kept in `.hypothesis/` and replayed first next time.
  Whatever it finds is fixed and pinned with `@example(...)` so `make test` keeps checking it.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("GRIDOPS_HYPOTHESIS_PROFILE", "deterministic")
LONG_FACTOR = int(os.environ.get("GRIDOPS_FUZZ_FACTOR", "10"))

settings.register_profile("deterministic", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", derandomize=False, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)


def examples(count: int) -> int:
    """A test's `max_examples` in `make test`; `make fuzz-long` multiplies it."""
    return count * LONG_FACTOR if PROFILE == "long" else count
