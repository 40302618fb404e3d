"""The incident export: the list's query string, answered as a CSV file (`exports.incidents_csv`)."""
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema

from gridops.core.filtersets import filtered, openapi_parameters
from gridops.core.services import audit_record

from .. import exports, selectors
from ..filters import IncidentFilter
from .views import AuthenticatedView


class IncidentExportView(AuthenticatedView):
    @extend_schema(parameters=openapi_parameters(IncidentFilter), responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request):
        """The incidents the user may see under the list's filters, as CSV (validated before the
        first byte is sent, so a bad filter is still a 400 in the error shape)."""
        qs = filtered(IncidentFilter(request.query_params, queryset=selectors.incidents_visible_to(request.user),
                                     request=request))
        audit_record(actor=request.user, action="incidents.export", detail=request.query_params.dict(), request=request)
        response = StreamingHttpResponse(exports.incidents_csv(qs), content_type="text/csv; charset=utf-8")
        name = f"incidents-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
