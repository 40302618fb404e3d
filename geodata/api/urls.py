"""Spatial core API (locate, zones), mounted under /api/v1/."""
urlpatterns: list = []
