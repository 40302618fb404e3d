"""Pages of the realtime app (API routes live in api/urls.py)."""
urlpatterns: list = []
