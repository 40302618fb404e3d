"""/ogc/: OGC API – Features and Tiles (gridops/ogc/views.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.landing, name="ogc-landing"),
    path("api", views.openapi, name="ogc-openapi"),
    path("conformance", views.conformance, name="ogc-conformance"),
    path("collections", views.collections, name="ogc-collections"),
    path("collections/<str:cid>", views.collection_view, name="ogc-collection"),
    path("collections/<str:cid>/queryables", views.queryables, name="ogc-queryables"),
    path("collections/<str:cid>/items", views.items, name="ogc-items"),
    path("collections/<str:cid>/items/<str:feature_id>", views.item, name="ogc-item"),
    path("collections/<str:cid>/tiles", views.tilesets, name="ogc-tilesets"),
    path("collections/<str:cid>/tiles/<str:tms>", views.tileset, name="ogc-tileset"),
    path("tileMatrixSets", views.tile_matrix_sets, name="ogc-tile-matrix-sets"),
    path("tileMatrixSets/<str:tms>", views.tile_matrix_set, name="ogc-tile-matrix-set"),
]
