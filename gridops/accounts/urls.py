"""Pages of the accounts app (API routes live in api/urls.py)."""
urlpatterns: list = []
