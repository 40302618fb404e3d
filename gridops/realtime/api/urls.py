"""API routes of the realtime app, mounted under /api/v1/."""
urlpatterns: list = []
