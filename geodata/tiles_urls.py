"""Vector tile routes: /tiles/<layer>/<z>/<x>/<y>.pbf (layers in geodata.tiles.LAYERS)."""
from django.urls import path

from .tiles import tile_view

urlpatterns = [
    path("<slug:layer>/<int:z>/<int:x>/<int:y>.pbf", tile_view, name="tile"),
]
