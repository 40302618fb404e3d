"""Pages of the ledger app (API routes live in api/urls.py)."""
from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("ledger/", views.home, name="home"),
    path("ledger/vendors/<str:code>/", views.vendor_page, name="vendor-page"),
    path("ledger/corrections/", views.corrections, name="corrections"),
]
