"""Shapes of the approvals API: input checking (400 naming the field) and output, masked where due."""
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from gridops.core.serializers import PointFeatureMixin

from .. import kpis, rules, selectors
from ..models import ApplicantKind, Case, DeliveryMethod, Hall, Item, Rating, Terminal, Ticket


class DocumentNeedSerializer(serializers.Serializer):
    code = serializers.CharField(source="document_type.code")
    name = serializers.CharField(source="document_type.name")
    required = serializers.BooleanField()


class ItemSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    documents = DocumentNeedSerializer(source="item_documents", many=True)

    class Meta:
        model = Item
        fields = ["code", "name", "department", "department_name", "category", "applicant_kind", "legal_limit_days",
                  "promised_limit_days", "on_the_spot", "online", "fee", "documents"]


class HallFeatureSerializer(PointFeatureMixin, GeoFeatureModelSerializer):
    """A hall on the operator map with its live queue and today's figures (from `halls_today`)."""

    today = serializers.SerializerMethodField()
    town = serializers.SerializerMethodField()

    class Meta:
        model = Hall
        geo_field = "location"
        id_field = "code"
        fields = ["code", "name", "kind", "address", "phone", "opening_hours", "town", "today"]

    def get_today(self, hall) -> dict:
        return self.context["figures"].get(hall.pk, {})

    def get_town(self, hall) -> str:
        return hall.zone.code[:9]


class TerminalFeatureSerializer(PointFeatureMixin, GeoFeatureModelSerializer):
    hall = serializers.CharField(source="hall.code", default=None)

    class Meta:
        model = Terminal
        geo_field = "location"
        id_field = "code"
        fields = ["code", "name", "hall", "is_24h", "functions"]


class TicketSerializer(serializers.ModelSerializer):
    hall = serializers.CharField(source="hall.code")
    item = serializers.CharField(source="item.code")
    item_name = serializers.CharField(source="item.name")
    counter = serializers.IntegerField(source="counter.number", default=None)

    class Meta:
        model = Ticket
        fields = ["id", "hall", "day", "number", "channel", "status", "item", "item_name", "slot_start", "issued_at",
                  "checked_in_at", "called_at", "finished_at", "counter", "wait_seconds", "handling_seconds"]


class ApplicantInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    id_number = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class IdentityVerificationInput(ApplicantInput):
    """A clerk's check of an account holder's ID document at the counter."""

    username = serializers.CharField(max_length=150)


class TicketInput(serializers.Serializer):
    item = serializers.CharField(max_length=32)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    name = serializers.CharField(max_length=64, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ApplicantKind.choices, default=ApplicantKind.PERSON)


class BookingInput(ApplicantInput):
    item = serializers.CharField(max_length=32)
    slot_start = serializers.DateTimeField()


class CaseInput(ApplicantInput):
    """Counter acceptance (with `ticket`) or an online application (without)."""

    ticket = serializers.IntegerField(required=False)
    item = serializers.CharField(max_length=32, required=False)
    reuse = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices, default=DeliveryMethod.COURIER)
    delivery_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, data):
        if "ticket" not in data and not data.get("item"):
            raise serializers.ValidationError({"item": "choose the item to apply for"})
        return data


class TransitionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(rules.TRANSITIONS))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    missing = serializers.ListField(child=serializers.CharField(max_length=32), required=False, default=list)
    reuse = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices, required=False, allow_blank=True,
                                              default="")
    delivery_address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    courier_tracking = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class RatingInput(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class KpiQuery(serializers.Serializer):
    by = serializers.ChoiceField(choices=sorted(kpis.KPI_GROUPS), default="hall")
    start = serializers.DateField()
    end = serializers.DateField()
    zone = serializers.RegexField(r"^\d{6}(\d{3})?$", required=False,
                                  help_text="The district or a town code: cases accepted at its halls.")


class OfferedQuery(serializers.Serializer):
    item = serializers.CharField(max_length=32)
    kind = serializers.ChoiceField(choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)


def offered_document(entry: dict) -> dict:
    doc = entry["document"]
    return {
        "code": entry["document_type"].code,
        "name": entry["document_type"].name,
        "required": entry["required"],
        "offered": None if doc is None else {
            "id": doc.pk, "content_type": doc.content_type, "size": doc.size, "uploaded_at": doc.uploaded_at,
        },
    }


class CaseSerializer(serializers.ModelSerializer):
    """A case; the applicant's name, number and phone are masked unless the reader handles it."""

    applicant = serializers.SerializerMethodField()
    item = serializers.CharField(source="item.code")
    item_name = serializers.CharField(source="item.name")
    department = serializers.CharField(source="department.code")
    accepted_hall = serializers.CharField(source="accepted_hall.code", default=None)
    finished_hall = serializers.CharField(source="finished_hall.code", default=None)
    state_label = serializers.CharField(source="get_state_display")
    actions = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    missing_documents = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["number", "applicant", "item", "item_name", "department", "channel", "state", "state_label",
                  "accepted_hall", "finished_hall", "submitted_at", "accepted_at", "due_date", "overdue", "decided_at",
                  "delivered_at", "on_the_spot", "wait_seconds", "handling_seconds", "decision_note",
                  "missing_documents", "delivery_method", "courier_tracking", "rating", "rating_comment", "rated_at",
                  "documents", "actions"]

    def _personal(self, case) -> bool:
        cache = self.context.setdefault("_personal", {})
        if case.pk not in cache:
            cache[case.pk] = selectors.can_see_personal_data(self.context["request"].user, case)
        return cache[case.pk]

    def get_applicant(self, case) -> dict:
        applicant = case.applicant
        if self._personal(case):
            return {"kind": applicant.kind, "name": applicant.name, "id_number": applicant.id_number,
                    "phone": applicant.phone, "masked": False}
        return {"kind": applicant.kind, "name": rules.mask_name(applicant.name),
                "id_number": rules.mask_id_number(applicant.id_number), "phone": rules.mask_phone(applicant.phone),
                "masked": True}

    def get_actions(self, case) -> list[str]:
        return rules.actions_from(case.state)

    def get_overdue(self, case) -> bool:
        from django.utils import timezone

        return bool(case.due_date and case.state not in rules.DECIDED_STATES and timezone.localdate() > case.due_date)

    def get_documents(self, case) -> list[dict]:
        if not self.context.get("detail") or not self._personal(case):
            return []
        return [
            {"type": link.document.document_type.code, "name": link.document.document_type.name,
             "content_type": link.document.content_type, "size": link.document.size, "reused": link.reused}
            for link in case.case_documents.select_related("document__document_type")
        ]
