"""The demand projection's parameters, as a plain value a planner can adjust and the SQL reads.

The model (documented here because planners ask): a child of age `a` in year `base + t` is
either already living in the grid in the base year at age `a - t`, or (when `a < t`) is born in
the grid after it, at `residents × birth_rate ‰ × hukou share` a year. Either way the count is
multiplied by `(1 + migration)` once for every year the child lives through after the base year
(capped at its age), where migration is the net yearly rate for its hukou status, set for the
district and optionally overridden per town.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from gridops.core.errors import InvalidInput
from gridops.core.numbers import parse_number

from . import conf

_RATE_LIMIT = 0.5  # a net migration of ±50 % a year is a typo, not a scenario


@dataclass(frozen=True)
class Projection:
    year: int
    birth_rate: float
    migration_hukou: float
    migration_non_hukou: float
    towns: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return self.year - conf.base_year()

    def sql_params(self) -> dict:
        codes = sorted(self.towns)
        return {
            "base_year": conf.base_year(),
            "t": self.offset,
            "birth_rate": self.birth_rate,
            "mig_hukou": self.migration_hukou,
            "mig_non_hukou": self.migration_non_hukou,
            "town_codes": codes,
            "town_hukou": [self.towns[c][0] for c in codes],
            "town_non_hukou": [self.towns[c][1] for c in codes],
        }

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "base_year": conf.base_year(),
            "birth_rate": self.birth_rate,
            "migration_hukou": self.migration_hukou,
            "migration_non_hukou": self.migration_non_hukou,
            "towns": {code: {"hukou": h, "non_hukou": n} for code, (h, n) in sorted(self.towns.items())},
        }


def _towns(value) -> dict[str, tuple[float, float]]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InvalidInput("towns must be a JSON object", field="towns") from None
    if not isinstance(value, dict):
        raise InvalidInput("towns must be an object of town code to rates", field="towns")
    towns = {}
    for code, rates in value.items():
        if not (isinstance(code, str) and len(code) == 9 and code.isdigit()):
            raise InvalidInput(f"{code!r} is not a town code", field=f"towns.{code}")
        if not isinstance(rates, dict):
            raise InvalidInput("rates must be an object with hukou and non_hukou", field=f"towns.{code}")
        towns[code] = (
            parse_number(rates.get("hukou", 0), f"towns.{code}.hukou", low=-_RATE_LIMIT, high=_RATE_LIMIT),
            parse_number(rates.get("non_hukou", 0), f"towns.{code}.non_hukou", low=-_RATE_LIMIT, high=_RATE_LIMIT),
        )
    return towns


def default_projection(year: int | None = None) -> Projection:
    migration = conf.default_migration()
    return Projection(
        year=year or conf.base_year(),
        birth_rate=conf.default_birth_rate(),
        migration_hukou=migration["hukou"],
        migration_non_hukou=migration["non_hukou"],
        towns={c: (r["hukou"], r["non_hukou"]) for c, r in migration.get("towns", {}).items()},
    )


def projection_from(data) -> Projection:
    """Read a projection from query parameters or a JSON body; missing values take the defaults.

    Given town overrides are merged over the default towns (a planner changes one town at a time).
    """
    base = default_projection()
    year = parse_number(data.get("year"), "year", low=conf.base_year(),
                        high=conf.base_year() + conf.projection_horizon(), default=base.year, whole=True)
    birth_rate = parse_number(data.get("birth_rate"), "birth_rate", low=0, high=40, default=base.birth_rate)
    hukou = parse_number(data.get("migration_hukou"), "migration_hukou", low=-_RATE_LIMIT, high=_RATE_LIMIT,
                         default=base.migration_hukou)
    non_hukou = parse_number(data.get("migration_non_hukou"), "migration_non_hukou", low=-_RATE_LIMIT,
                             high=_RATE_LIMIT, default=base.migration_non_hukou)
    towns = dict(base.towns)
    towns.update(_towns(data.get("towns")))
    return Projection(year=year, birth_rate=birth_rate, migration_hukou=hukou, migration_non_hukou=non_hukou, towns=towns)
