"""The district's nested grid, its boundary generations and its command centres.

Geometry is stored in EPSG:4326; areas are measured in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E)
when zones are loaded, and stored so that every reader sees the same figure.

Generations (MapIt's model): every redraw of the grid is a `Generation`, and a zone row is valid
from `generation_low` through `generation_high` (NULL: still in force). A redraw leaves unchanged
zones as they are (same row, same id, so whatever points at them is untouched) and gives changed
ones a new row; the old row is closed, never rewritten, so an incident keeps the chain it was
located in. `Zone.objects` reads the current generation only: every existing caller that looks a
zone up by code keeps working. `Zone.objects.in_generation(g)` / `Zone.all_generations` reach the rest.
"""
import datetime

from django.contrib.gis.db import models
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _


class GenerationQuerySet(models.QuerySet):
    def current(self) -> "Generation | None":
        """The generation in force now: the newest one (a redraw closes the one before)."""
        return self.filter(valid_to__isnull=True).order_by("-id").first()

    def in_force_on(self, day: datetime.date) -> "Generation | None":
        """The generation in force on `day`; before the first one, the first (the oldest grid we
        have is the best account of the ground before it)."""
        found = self.filter(valid_from__lte=day).order_by("-valid_from", "-id").first()
        return found or self.order_by("id").first()


class Generation(models.Model):
    """One version of the boundary set, in force from `valid_from` until `valid_to` (exclusive;
    NULL for the current one). Created by `import_zones --commit` of a redrawn grid."""

    created = models.DateTimeField(auto_now_add=True)
    description = models.CharField(max_length=255, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # At most one generation is open (current); NULLs compare equal here (PostgreSQL 15).
            models.UniqueConstraint(fields=["valid_to"], name="generation_one_current", nulls_distinct=False),
            models.CheckConstraint(name="generation_valid_period",
                                   condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from"))),
        ]

    def __str__(self) -> str:
        return f"generation {self.pk} ({self.valid_from}–{self.valid_to or ''}) {self.description}".strip()


def current_generation_id() -> int:
    """Default generation of a zone created without one (tests, the demo, the first import): the
    current generation, opened on first use so an empty database needs no setup step."""
    found = Generation.objects.current()
    if found is None:
        found = Generation.objects.create(valid_from=datetime.date.today(), description="initial grid")
    return found.pk


class Level(models.IntegerChoices):
    DISTRICT = 0, _("District")
    TOWN = 1, _("Town")
    AREA = 2, _("Area")
    VILLAGE = 3, _("Village")
    GRID = 4, _("Micro-grid")

    @classmethod
    def from_name(cls, name: str) -> "Level":
        """Accept 'grid', 'GRID', '4' or a label such as 'Micro-grid' (command line, import files)."""
        text = str(name).strip()
        for level in cls:
            if text in (level.name.lower(), level.name, str(level.value), str(level.label), _ZH_LABELS[level.value]):
                return level
        raise ValueError(f"unknown level {name!r}; use one of {', '.join(l.name.lower() for l in cls)}")


_ZH_LABELS = {0: "区", 1: "镇街", 2: "片区", 3: "村居", 4: "微网格"}

# Length of a code at each level: 440604 | TTT | AA | VVV | GGG (see README, "Zone codes").
CODE_LENGTH = {Level.DISTRICT: 6, Level.TOWN: 9, Level.AREA: 11, Level.VILLAGE: 14, Level.GRID: 17}


class ZoneQuerySet(models.QuerySet):
    def current(self):
        return self.filter(generation_high__isnull=True)

    def in_generation(self, generation):
        """Zones valid in `generation` (a Generation or its id)."""
        gid = getattr(generation, "pk", generation)
        return self.filter(Q(generation_low_id__lte=gid), Q(generation_high__isnull=True) | Q(generation_high_id__gte=gid))

    def of(self, generation=None):
        """`in_generation(generation)`, or the current zones when it is None."""
        return self.current() if generation is None else self.in_generation(generation)


class CurrentZoneManager(models.Manager.from_queryset(ZoneQuerySet)):
    """The default manager: zones of the current generation. `in_generation` and `of` start from
    every row, so `Zone.objects.in_generation(g)` means what it says."""

    def get_queryset(self):
        return super().get_queryset().current()

    def in_generation(self, generation):
        return super().get_queryset().in_generation(generation)

    def of(self, generation=None):
        return super().get_queryset().of(generation)


class Int8Range(Func):
    """int8range(low, high, '[]'): a zone's generations as a closed range (NULL high: unbounded)."""

    function = "int8range"
    output_field = models.BigIntegerField()  # only used inside the exclusion constraint


class Zone(models.Model):
    code = models.CharField(max_length=17)
    name = models.CharField(max_length=64)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geom = models.MultiPolygonField(srid=4326)
    area_m2 = models.FloatField(default=0)
    residents = models.PositiveIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)
    generation_low = models.ForeignKey(Generation, on_delete=models.PROTECT, related_name="+",
                                       default=current_generation_id, db_index=False)
    # The last generation the zone is valid in; NULL while it is in force.
    generation_high = models.ForeignKey(Generation, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", db_index=False)

    objects = CurrentZoneManager()
    all_generations = models.Manager.from_queryset(ZoneQuerySet)()

    class Meta:
        ordering = ["code"]
        # Related lookups (incident.grid, zone.parent) must reach zones of any generation.
        base_manager_name = "all_generations"
        indexes = [
            models.Index(fields=["level", "code"]),
            # Prefix searches (`code LIKE '440604101%'`) over the current zones, as the old unique index's
            # pattern twin served them.
            models.Index(fields=["code"], opclasses=["varchar_pattern_ops"], name="zone_code_current_like",
                         condition=Q(generation_high__isnull=True)),
        ]
        # Locate reads a partial GiST index of the current micro-grids (`zone_current_grid_geom`,
        # created in migration 0005 with SQL: the PostGIS schema editor drops an index condition).
        constraints = [
            # A code names one zone in any one generation: once among the current zones (this
            # index also serves lookups by code) and, over history, no two rows of one code whose
            # generation ranges overlap.
            models.UniqueConstraint(fields=["code"], condition=Q(generation_high__isnull=True),
                                    name="zone_code_unique_current"),
            ExclusionConstraint(
                name="zone_code_one_per_generation",
                expressions=[(F("code"), RangeOperators.EQUAL),
                             (Int8Range(F("generation_low"), F("generation_high"), Value("[]")),
                              RangeOperators.OVERLAPS)],
            ),
            models.CheckConstraint(name="zone_generation_order",
                                   condition=Q(generation_high__isnull=True)
                                   | Q(generation_high__gte=F("generation_low"))),
            models.CheckConstraint(
                name="zone_root_has_no_parent",
                condition=(Q(level=Level.DISTRICT, parent__isnull=True) | Q(level__gt=Level.DISTRICT, parent__isnull=False)),
            ),
            models.CheckConstraint(name="zone_code_digits", condition=Q(code__regex=r"^440604[0-9]*$")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CommandCentre(models.Model):
    """The district command centre and the town sub-centres (one per responsible zone)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    zone = models.OneToOneField(Zone, on_delete=models.PROTECT, related_name="command_centre")
    location = models.PointField(srid=4326)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


from .roads_models import RoadEdge, RoadVertex  # noqa: E402,F401  (the road graph, registered with the app)
