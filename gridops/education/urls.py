"""Pages of the education app (API routes live in api/urls.py)."""
urlpatterns: list = []
