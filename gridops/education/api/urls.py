"""API routes of the education app, mounted under /api/v1/."""
urlpatterns: list = []
