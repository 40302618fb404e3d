"""Thin HTTP adapters over the ledger's services and selectors."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.accounts.selectors import within_jurisdiction
from gridops.core.errors import InvalidInput, NotAuthenticated, NotFound
from gridops.core.numbers import REQUIRED, parse_number
from gridops.core.pagination import StartLimitPagination
from gridops.core.ratelimit import ratelimit
from gridops.core.services import audit_record

from .. import qr, selectors
from ..services import corrections, identity, notary
from ..services import vendors as vendor_services
from ..models import IdentityAttestation, Notarisation, SupervisedPerson
from .serializers import CheckInFeatureSerializer, VendorFeatureSerializer

PAGE_PARAMETERS = [OpenApiParameter("start", int, description="index of the first row (0 = the first)"),
                   OpenApiParameter("limit", int, description="rows per page; the next page is in the Link header")]
JSON = {200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


def _index(value, field: str, default=None):
    """A tree size or entry index: a whole number ≥ 0 (`gridops.core.numbers`), or `default`."""
    return parse_number(value, field, low=0, default=default, whole=True)


def _body(request) -> dict:
    """The request body as fields; a JSON array or scalar is a 400, not an AttributeError (500)."""
    data = request.data
    if not hasattr(data, "get"):
        raise InvalidInput("the body must be a JSON object", field="body")
    return data


def _require_login(request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated("log in first")


class PublicKeyView(APIView):
    """The Ed25519 key that signs tree heads: all a verifier needs."""

    @extend_schema(responses=JSON)
    def get(self, request):
        return Response(selectors.public_key_json())


class HeadListView(APIView):
    """Signed tree heads, newest first (`?tree_size=` for the heads of one size)."""

    @extend_schema(parameters=[OpenApiParameter("tree_size", int), *PAGE_PARAMETERS], responses=JSON)
    def get(self, request):
        from ..models import TreeHead

        heads = TreeHead.objects.order_by("-tree_size", "-id")
        size = _index(request.query_params.get("tree_size"), "tree_size")
        if size is not None:
            heads = heads.filter(tree_size=size)
        pages = StartLimitPagination(default_limit=100, max_limit=1000)
        page = pages.paginate_queryset(heads, request)
        return pages.link_header(Response({"tree_size": selectors.tree_size(),
                                           "heads": [selectors.head_json(h) for h in page]}))


class LatestHeadView(APIView):
    @extend_schema(responses=JSON)
    def get(self, request):
        head = selectors.latest_head()
        if head is None:
            raise NotFound("the log has no signed head yet", code="not_signed_yet")
        return Response(selectors.head_json(head))


@method_decorator(ratelimit("ledger.verify", "300/m", methods=("GET",)), name="get")
class ConsistencyView(APIView):
    """Proof that the tree of size `first` is a prefix of the tree of size `second`."""

    @extend_schema(parameters=[OpenApiParameter("first", int, required=True), OpenApiParameter("second", int)], responses=JSON)
    def get(self, request):
        first = _index(request.query_params.get("first"), "first", REQUIRED)
        latest = selectors.latest_head()
        second = _index(request.query_params.get("second"), "second", latest.tree_size if latest else 0)
        proof = selectors.consistency_proof(first, second)
        body = {"first": first, "second": second, "proof": [p.hex() for p in proof]}
        for name, size in (("first_head", first), ("second_head", second)):
            try:
                body[name] = selectors.head_json(selectors.head_with_size(size))
            except NotFound:
                body[name] = None
        return Response(body)


@method_decorator(ratelimit("ledger.verify", "300/m", methods=("GET",)), name="get")
class EntryView(APIView):
    """An entry with its inclusion proof and the signed head it is proved against (a receipt)."""

    @extend_schema(parameters=[OpenApiParameter("tree_size", int)], responses=JSON)
    def get(self, request, index: int):
        entry = selectors.entry_for(request.user, index)
        size = _index(request.query_params.get("tree_size"), "tree_size")
        head = selectors.head_with_size(size) if size is not None else None
        return Response(selectors.receipt(entry, head))


@method_decorator(ratelimit("ledger.verify", "300/m", methods=("GET",)), name="get")
class ExportView(APIView):
    """The log for offline audit: entries (restricted leaves as hashes only) and all heads."""

    @extend_schema(parameters=PAGE_PARAMETERS, responses=JSON)
    def get(self, request):
        pages = StartLimitPagination(default_limit=10_000, max_limit=100_000, seek_field="index")
        entries = pages.paginate_queryset(selectors.log_entries(), request)
        if request.user.is_authenticated:  # signed-in exports may hold restricted leaves: audited
            audit_record(actor=request.user, action="ledger.export", detail={"start": pages.offset, "limit": pages.limit},
                         request=request)
        return pages.link_header(Response(selectors.export_log(request.user, entries)))


@method_decorator(ratelimit("ledger.notarise", "60/m"), name="post")
@method_decorator(ratelimit("ledger.verify", "300/m", methods=("GET",)), name="get")
class NotarisationView(APIView):
    """POST a document's SHA-256 to get a receipt at once; GET `?sha256=` finds existing ones."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        _require_login(request)
        _, receipt = notary.notarise(user=request.user, sha256=_body(request).get("sha256"), title=_body(request).get("title", ""))
        return Response(receipt, status=201)

    @extend_schema(parameters=[OpenApiParameter("sha256", str, required=True)], responses=JSON)
    def get(self, request):
        digest = (request.query_params.get("sha256") or "").strip().lower()
        if not notary.SHA256_RE.match(digest):
            raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
        found = Notarisation.objects.filter(sha256=digest).select_related("entry").order_by("entry_id")
        head = selectors.latest_head()
        receipts = []
        for n in found:
            covering = head if head is not None and head.tree_size > n.entry_id else selectors.head_covering(n.entry_id)
            receipts.append(selectors.receipt(n.entry, covering))
        return Response({"sha256": digest, "receipts": receipts})


class IdentityAttestationView(APIView):
    """A clerk attests that an account belongs to the holder of an ID number (commitment only)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        _require_login(request)
        identity.require_attester(request.user)  # before the account lookup: no oracle of user ids
        user_id = _index(_body(request).get("user_id"), "user_id")
        subject = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
        if subject is None:
            raise InvalidInput("user_id must name an existing account", field="user_id")
        att = identity.identity_attest(
            actor=request.user, subject=subject, id_number=str(_body(request).get("id_number") or ""),
            method=str(_body(request).get("method") or "counter"),
        )
        return Response(_attestation_json(att), status=201)


def _attestation_json(att: IdentityAttestation) -> dict:
    return {"user_id": att.user_id, "commitment": att.commitment, "method": att.method,
            "attested_at": att.attested_at, "entry": att.entry_id}


@method_decorator(ratelimit("ledger.identity", "10/m"), name="post")
class MyIdentityView(APIView):
    """GET the caller's attestations; POST `id_number` to check it opens the latest commitment."""

    @extend_schema(responses=JSON)
    def get(self, request):
        _require_login(request)
        return Response({"attestations": [_attestation_json(a) for a in IdentityAttestation.objects.filter(user=request.user)]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=JSON)
    def post(self, request):
        _require_login(request)
        return Response({"matches": identity.identity_matches(user=request.user, id_number=str(_body(request).get("id_number") or ""))})


class VendorListView(APIView):
    """Food-vendor stalls with their verification state (public GeoJSON); POST registers one."""

    @extend_schema(operation_id="ledger_vendors_geojson", parameters=[OpenApiParameter("market", str)], responses=JSON)
    def get(self, request):
        from ..models import Vendor

        # A town operator's map shows their town's stalls (`within_jurisdiction`).
        vendors = (Vendor.objects.filter(within_jurisdiction(request.user, "grid__code"))
                   .select_related("entry", "grid").order_by("code"))
        if request.query_params.get("market"):
            vendors = vendors.filter(market=request.query_params["market"])
        head = selectors.latest_head()
        vendors = list(vendors)
        states = {v.pk: selectors.vendor_state(v, head) for v in vendors}
        return Response(VendorFeatureSerializer(vendors, many=True, context={"states": states}).data)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        _require_login(request)
        vendor = vendor_services.vendor_register(actor=request.user, data=_body(request))
        return Response(_vendor_json(vendor), status=201)


def _vendor_json(vendor) -> dict:
    head = selectors.latest_head()
    state = selectors.vendor_state(vendor, head)
    body = VendorFeatureSerializer(vendor, context={"states": {vendor.pk: state}}).data
    body["receipt"] = selectors.receipt(vendor.entry, head) if state in ("verified", "mismatch", "inactive") and head and head.tree_size > vendor.entry_id else None
    return body


@method_decorator(ratelimit("ledger.verify", "300/m", methods=("GET",)), name="get")
class VendorDetailView(APIView):
    @extend_schema(responses=JSON)
    def get(self, request, code: str):
        return Response(_vendor_json(selectors.vendor_by_code(code)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=JSON)
    def patch(self, request, code: str):
        _require_login(request)
        vendor = vendor_services.vendor_update(actor=request.user, vendor=selectors.vendor_by_code(code), data=_body(request))
        return Response(_vendor_json(vendor))


class VendorQRView(APIView):
    """The QR code for the stall sign, pointing at the vendor's public page (SVG or PNG)."""

    @extend_schema(responses={(200, "image/svg+xml"): OpenApiTypes.BINARY, (200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request, code: str, fmt: str):
        vendor = selectors.vendor_by_code(code)
        content, mime = qr.vendor_qr(request, vendor, fmt)
        return HttpResponse(content, content_type=mime)


class PersonListView(APIView):
    """Persons under supervision and their geofences (justice officers only)."""

    @extend_schema(responses=JSON)
    def get(self, request):
        persons = selectors.persons_visible_to(request.user)
        return Response({"persons": [_person_json(p) for p in persons]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        person = corrections.supervision_create(actor=request.user, data=_body(request))
        return Response(_person_json(person), status=201)


def _person_json(person: SupervisedPerson) -> dict:
    return {
        "case_no": person.case_no, "name": person.name, "user_id": person.user_id, "active": person.active,
        "zone_codes": [z.code for z in person.allowed_zones.all()],
        "curfew_start": person.curfew_start, "curfew_end": person.curfew_end,
        "home": [person.home.x, person.home.y] if person.home else None, "home_radius_m": person.home_radius_m,
    }


class CheckInView(APIView):
    """GET: check-ins as GeoJSON (justice officers only; `?flagged=1`, `?case_no=`).
    POST: a check-in by the supervised person (or an officer on their behalf)."""

    @extend_schema(parameters=[OpenApiParameter("flagged", bool), OpenApiParameter("case_no", str), *PAGE_PARAMETERS], responses=JSON)
    def get(self, request):
        checkins = selectors.checkins_visible_to(request.user)
        params = request.query_params
        if params.get("flagged") in ("1", "true", "yes"):
            checkins = checkins.filter(flagged=True)
        if params.get("case_no"):
            checkins = checkins.filter(person__case_no=params["case_no"])
        pages = StartLimitPagination(default_limit=500, max_limit=5000)
        page = pages.paginate_queryset(checkins, request)
        return pages.link_header(Response(CheckInFeatureSerializer(page, many=True).data))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT, **JSON})
    def post(self, request):
        _require_login(request)
        case_no = _body(request).get("case_no")
        # Looked up only among the persons this user may check in for: a case number that exists
        # but is someone else's answers exactly like one that does not (no existence oracle).
        person = selectors.persons_in_reach_of(request.user).filter(
            Q(case_no=case_no) if case_no else Q(user=request.user)
        ).first()
        if person is None:
            raise InvalidInput("no supervision found for this check-in", field="case_no")
        checkin = corrections.checkin_submit(
            actor=request.user, person=person, lon=_body(request).get("lon"), lat=_body(request).get("lat"),
            at=_body(request).get("at"), crs=_body(request).get("crs"), accuracy_m=_body(request).get("accuracy_m"),
        )
        return Response({
            "id": checkin.pk, "entry": checkin.entry_id, "at": checkin.at, "inside_geofence": checkin.inside_geofence,
            "curfew_breach": checkin.curfew_breach, "flagged": checkin.flagged, "reasons": checkin.reasons,
        }, status=201)
