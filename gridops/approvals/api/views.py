"""Thin API views: parse, call a service or selector, serialize. Rules live in services/rules."""
from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of, within_jurisdiction
from gridops.core.errors import Forbidden, InvalidInput
from gridops.core.parsers import JSONParser
from gridops.core.pagination import StartLimitPagination
from gridops.core.ratelimit import ratelimit

from .. import identity, kpis, rules, selectors
from ..services import cases as case_services
from ..services import queue as queue_services
from ..models import Counter, Hall, Terminal, Ticket
from . import serializers as s


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _uploads(request) -> dict:
    """Files posted as `documents.<type code>`."""
    return {key.split(".", 1)[1]: upload for key, upload in request.FILES.items() if key.startswith("documents.")}


class ItemList(APIView):
    @extend_schema(responses=s.ItemSerializer(many=True))
    def get(self, request):
        online = request.query_params.get("online")
        items = selectors.items_catalogue(
            department=request.query_params.get("department"), q=request.query_params.get("q"),
            online=None if online is None else online.lower() in ("1", "true", "yes"),
        )
        return Response(s.ItemSerializer(items, many=True).data)


class ItemDetail(APIView):
    @extend_schema(responses=s.ItemSerializer)
    def get(self, request, code):
        return Response(s.ItemSerializer(selectors.item_by_code(code)).data)


class HallLayer(APIView):
    """GeoJSON of the halls with live queue length and today's figures (the operator map layer).

    A town operator gets their town's halls (`within_jurisdiction`), as on their incident map.
    """

    @extend_schema(responses=s.HallFeatureSerializer(many=True))
    def get(self, request):
        halls = list(Hall.objects.filter(within_jurisdiction(request.user, "zone__code"), is_active=True)
                     .select_related("zone").defer("zone__geom"))
        kind = request.query_params.get("kind")
        if kind:
            halls = [hall for hall in halls if hall.kind == kind]
        figures = selectors.halls_today(halls)
        return Response(s.HallFeatureSerializer(halls, many=True, context={"figures": figures}).data)


class TerminalLayer(APIView):
    @extend_schema(responses=s.TerminalFeatureSerializer(many=True))
    def get(self, request):
        return Response(s.TerminalFeatureSerializer(Terminal.objects.select_related("hall"), many=True).data)


class HallQueue(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, code):
        return Response(selectors.hall_queue(selectors.hall_by_code(code)))


# Tickets and bookings name an applicant, so issuing them is limited per client address (a hall's
# kiosk is one address: GRIDOPS_RATE_TICKETS is sized for its busiest minute).
tickets_limited = method_decorator(ratelimit("approvals.ticket", "30/m"), name="post")


@tickets_limited
class HallTickets(APIView):
    """取号: anyone at the hall (or its kiosk) takes a ticket for any item."""

    @extend_schema(request=s.TicketInput, responses=s.TicketSerializer)
    def post(self, request, code):
        hall = selectors.hall_by_code(code)
        data = _valid(s.TicketInput, request.data)
        item = selectors.item_by_code(data["item"])
        if data.get("id_number"):  # checked for form only: a kiosk proves nobody's identity
            rules.normalise_id_number(data["kind"], data["id_number"])
        ticket = queue_services.ticket_issue(hall=hall, item=item)
        return Response(s.TicketSerializer(ticket).data, status=201)


@tickets_limited
class HallBookings(APIView):
    @extend_schema(request=s.BookingInput, responses=s.TicketSerializer)
    def post(self, request, code):
        selectors.require_authenticated(request.user)
        hall = selectors.hall_by_code(code)
        data = _valid(s.BookingInput, request.data)
        item = selectors.item_by_code(data["item"])
        with transaction.atomic():
            applicant = identity.applicant_for_account(user=request.user, kind=data["kind"],
                                                       id_number=data["id_number"], name=data["name"],
                                                       phone=data["phone"])
            ticket = queue_services.booking_create(hall=hall, item=item, applicant=applicant, slot_start=data["slot_start"])
        return Response(s.TicketSerializer(ticket).data, status=201)


def _ticket(pk) -> Ticket:
    return get_object_or_404(Ticket.objects.select_related("hall", "item", "counter"), pk=pk)


class TicketCheckIn(APIView):
    @extend_schema(request=None, responses=s.TicketSerializer)
    def post(self, request, pk):
        ticket = queue_services.booking_check_in(actor=request.user, ticket=_ticket(pk))
        return Response(s.TicketSerializer(ticket).data)


class CounterCall(APIView):
    """叫号: the clerk at this counter calls the next ticket, whatever its item."""

    @extend_schema(request=None, responses=s.TicketSerializer)
    def post(self, request, pk):
        selectors.require_authenticated(request.user)
        counter = get_object_or_404(Counter, pk=pk)
        ticket = queue_services.ticket_call_next(counter=counter, clerk=request.user)
        return Response(s.TicketSerializer(ticket).data)


class TicketFinish(APIView):
    @extend_schema(request=None, responses=s.TicketSerializer)
    def post(self, request, pk):
        selectors.require_authenticated(request.user)
        return Response(s.TicketSerializer(queue_services.ticket_finish(ticket=_ticket(pk), clerk=request.user)).data)


class TicketNoShow(APIView):
    @extend_schema(request=None, responses=s.TicketSerializer)
    def post(self, request, pk):
        selectors.require_authenticated(request.user)
        return Response(s.TicketSerializer(queue_services.ticket_no_show(ticket=_ticket(pk), clerk=request.user)).data)


class CaseList(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=s.CaseSerializer(many=True))
    def get(self, request):
        selectors.require_authenticated(request.user)
        cases = selectors.cases_visible_to(request.user)
        for name in ("state", "channel"):
            if request.query_params.get(name):
                cases = cases.filter(**{name: request.query_params[name]})
        if request.query_params.get("mine"):
            cases = cases.filter(applicant__user=request.user)
        pages = StartLimitPagination(default_limit=200, max_limit=1000)
        page = pages.paginate_queryset(cases.prefetch_related("missing_documents"), request)
        return pages.link_header(Response(s.CaseSerializer(page, many=True, context={"request": request}).data))

    @extend_schema(request=s.CaseInput, responses=s.CaseSerializer)
    def post(self, request):
        """With `ticket`: accepted at the counter by its clerk. Without: an online application."""
        selectors.require_authenticated(request.user)
        data = _valid(s.CaseInput, request.data)
        with transaction.atomic():
            if "ticket" in data:
                ticket = _ticket(data["ticket"])
                selectors.require_clerk_at(request.user, ticket.hall)
                applicant = identity.applicant_at_counter(clerk=request.user, kind=data["kind"],
                                                          id_number=data["id_number"], name=data["name"],
                                                          phone=data["phone"])
                item = selectors.item_by_code(data["item"]) if data.get("item") else None
                case = case_services.case_accept_at_counter(clerk=request.user, ticket=ticket, applicant=applicant,
                                                       item=item, uploads=_uploads(request), reuse=data["reuse"])
            else:
                item = selectors.item_by_code(data["item"])
                applicant = identity.applicant_for_account(user=request.user, kind=data["kind"],
                                                           id_number=data["id_number"], name=data["name"],
                                                           phone=data["phone"])
                case = case_services.case_submit_online(user=request.user, applicant=applicant, item=item,
                                                   uploads=_uploads(request), reuse=data["reuse"],
                                                   delivery_method=data["delivery_method"],
                                                   delivery_address=data["delivery_address"])
        return Response(s.CaseSerializer(case, context={"request": request, "detail": True}).data, status=201)


class CaseDetail(APIView):
    @extend_schema(responses=s.CaseSerializer)
    def get(self, request, number):
        case = selectors.case_for(request.user, number)
        return Response(s.CaseSerializer(case, context={"request": request, "detail": True}).data)


class CaseTransition(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=s.TransitionInput, responses=s.CaseSerializer)
    def post(self, request, number):
        case = selectors.case_for(request.user, number)
        data = _valid(s.TransitionInput, request.data)
        case = case_services.case_transition(actor=request.user, case=case, uploads=_uploads(request), **data)
        return Response(s.CaseSerializer(case, context={"request": request, "detail": True}).data)


class CaseRating(APIView):
    @extend_schema(request=s.RatingInput, responses=s.CaseSerializer)
    def post(self, request, number):
        case = selectors.case_for(request.user, number)
        data = _valid(s.RatingInput, request.data)
        case = case_services.case_rate(user=request.user, case=case, rating=data["rating"], comment=data["comment"])
        return Response(s.CaseSerializer(case, context={"request": request}).data)


class OfferedDocuments(APIView):
    """数据跑路: which of the item's documents the applicant already gave (offered instead of asked).

    Applicants ask for themselves; a clerk asks for the applicant at the counter by identity number.
    """

    @extend_schema(parameters=[s.OfferedQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        selectors.require_authenticated(request.user)
        query = _valid(s.OfferedQuery, request.query_params)
        item = selectors.item_by_code(query["item"])
        if query.get("id_number"):
            selectors.require_clerk_at(request.user)
            applicant = selectors.applicant_by_number(rules.normalise_id_number(query["kind"], query["id_number"]))
        else:
            applicant = selectors.applicant_of_user(request.user)
        entries = selectors.documents_offered(applicant, item)
        return Response({"item": item.code, "documents": [s.offered_document(entry) for entry in entries]})


class IdentityVerifications(APIView):
    """核验: a counter clerk checked the ID document of an account's holder; the identity is bound
    to that account (and a resident ID attested in the ledger)."""

    @extend_schema(request=s.IdentityVerificationInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        selectors.require_clerk_at(request.user)
        data = _valid(s.IdentityVerificationInput, request.data)
        account = identity.account_by_username(data["username"])
        applicant = identity.identity_verify_at_counter(
            clerk=request.user, account=account, kind=data["kind"], id_number=data["id_number"], name=data["name"],
            phone=data["phone"])
        return Response({"username": account.get_username(), "kind": applicant.kind,
                         "name": rules.mask_name(applicant.name),
                         "id_number": rules.mask_id_number(applicant.id_number), "bound": True}, status=201)


KPI_ROLES = {Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.REVIEWER, Role.COUNTER_CLERK, Role.SCREEN}


class Kpis(APIView):
    @extend_schema(parameters=[s.KpiQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        selectors.require_authenticated(request.user)
        if role_of(request.user) not in KPI_ROLES:
            raise Forbidden("KPIs are for staff")
        query = _valid(s.KpiQuery, request.query_params)
        if (query["end"] - query["start"]).days > 3660:
            raise InvalidInput("ask for at most ten years", field="start")
        zone = kpis.kpi_zone(request.user, query.get("zone"))
        rows = kpis.kpis(by=query["by"], start=query["start"], end=query["end"], zone=zone)
        return Response({"by": query["by"], "start": query["start"], "end": query["end"], "rows": rows,
                         "satisfaction_formula": "(满意 + 基本满意) / 参评件数", "at": timezone.now()})
