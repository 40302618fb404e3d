"""API routes of the ledger app, mounted under /api/v1/."""
from django.urls import path

from . import views

app_name = "ledger-api"

urlpatterns = [
    path("ledger/public-key/", views.PublicKeyView.as_view(), name="public-key"),
    path("ledger/heads/", views.HeadListView.as_view(), name="heads"),
    path("ledger/heads/latest/", views.LatestHeadView.as_view(), name="head-latest"),
    path("ledger/consistency/", views.ConsistencyView.as_view(), name="consistency"),
    path("ledger/entries/<int:index>/", views.EntryView.as_view(), name="entry"),
    path("ledger/export/", views.ExportView.as_view(), name="export"),
    path("ledger/notarisations/", views.NotarisationView.as_view(), name="notarisations"),
    path("ledger/identity/attestations/", views.IdentityAttestationView.as_view(), name="identity-attest"),
    path("ledger/identity/me/", views.MyIdentityView.as_view(), name="identity-me"),
    path("ledger/vendors/", views.VendorListView.as_view(), name="vendors"),
    path("ledger/vendors/<str:code>/", views.VendorDetailView.as_view(), name="vendor"),
    path("ledger/vendors/<str:code>/qr.<str:fmt>", views.VendorQRView.as_view(), name="vendor-qr"),
    path("ledger/supervision/persons/", views.PersonListView.as_view(), name="persons"),
    path("ledger/checkins/", views.CheckInView.as_view(), name="checkins"),
]
