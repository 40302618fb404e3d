"""Pages of the ledger app (API routes live in api/urls.py)."""
urlpatterns: list = []
