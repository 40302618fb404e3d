"""Vector tile routes: /tiles/<layer>/<z>/<x>/<y>.pbf (filled by the tiles module)."""
urlpatterns: list = []
