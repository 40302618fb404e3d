"""The district's nested grid and its command centres.

Geometry is stored in EPSG:4326; areas are measured in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E)
when zones are loaded, and stored so that every reader sees the same figure.
"""
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _



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


class Zone(models.Model):
    code = models.CharField(max_length=17, unique=True)
    name = models.CharField(max_length=64)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    geom = models.MultiPolygonField(srid=4326)
    area_m2 = models.FloatField(default=0)
    residents = models.PositiveIntegerField(default=0)
    households = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]
        constraints = [
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
