"""Pages of the incidents app (API routes live in api/urls.py)."""
urlpatterns: list = []
