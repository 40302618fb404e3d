"""API routes of the approvals app, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("approvals/items/", views.ItemList.as_view(), name="approvals-items"),
    path("approvals/items/<str:code>/", views.ItemDetail.as_view(), name="approvals-item"),
    path("approvals/halls/", views.HallLayer.as_view(), name="approvals-halls"),
    path("approvals/terminals/", views.TerminalLayer.as_view(), name="approvals-terminals"),
    path("approvals/halls/<str:code>/queue/", views.HallQueue.as_view(), name="approvals-hall-queue"),
    path("approvals/halls/<str:code>/tickets/", views.HallTickets.as_view(), name="approvals-hall-tickets"),
    path("approvals/halls/<str:code>/bookings/", views.HallBookings.as_view(), name="approvals-hall-bookings"),
    path("approvals/tickets/<int:pk>/check-in/", views.TicketCheckIn.as_view(), name="approvals-ticket-check-in"),
    path("approvals/tickets/<int:pk>/finish/", views.TicketFinish.as_view(), name="approvals-ticket-finish"),
    path("approvals/tickets/<int:pk>/no-show/", views.TicketNoShow.as_view(), name="approvals-ticket-no-show"),
    path("approvals/counters/<int:pk>/call/", views.CounterCall.as_view(), name="approvals-counter-call"),
    path("approvals/cases/", views.CaseList.as_view(), name="approvals-cases"),
    path("approvals/cases/<str:number>/", views.CaseDetail.as_view(), name="approvals-case"),
    path("approvals/cases/<str:number>/transition/", views.CaseTransition.as_view(), name="approvals-case-transition"),
    path("approvals/cases/<str:number>/rating/", views.CaseRating.as_view(), name="approvals-case-rating"),
    path("approvals/offered-documents/", views.OfferedDocuments.as_view(), name="approvals-offered-documents"),
    path("approvals/identity-verifications/", views.IdentityVerifications.as_view(),
         name="approvals-identity-verifications"),
    path("approvals/kpis/", views.Kpis.as_view(), name="approvals-kpis"),
]
