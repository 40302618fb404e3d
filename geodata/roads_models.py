"""The road graph: pgRouting's edge table and the vertices its ends meet at.

pgRouting reads edges as `(id, source, target, cost, reverse_cost)`; the importer
(`geodata/loaders/roads.py`) builds that topology itself, so no deprecated `pgr_createTopology`
runs in the database. Costs are metres along the line on the WGS84 ellipsoid (geography), so a
network from anywhere is measured right; a negative cost is pgRouting's "no travel this way"
(one-way streets). Vertices are kept with their point so a place is snapped to the graph with
one KNN index scan.
"""
from django.contrib.gis.db import models


class RoadVertex(models.Model):
    id = models.BigIntegerField(primary_key=True)
    geom = models.PointField(srid=4326)

    def __str__(self) -> str:
        return f"vertex {self.id}"


class RoadEdge(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=128, blank=True)
    source = models.BigIntegerField(db_index=True)
    target = models.BigIntegerField(db_index=True)
    cost = models.FloatField(help_text="metres from source to target; negative: closed this way")
    reverse_cost = models.FloatField(help_text="metres from target to source; negative: one-way")
    geom = models.LineStringField(srid=4326)

    class Meta:
        constraints = [models.CheckConstraint(name="road_edge_not_a_loop", condition=~models.Q(source=models.F("target")))]

    def __str__(self) -> str:
        return f"{self.name or 'road'} {self.source}→{self.target}"
