"""Pages of the approvals app (API routes live in api/urls.py)."""
urlpatterns: list = []
