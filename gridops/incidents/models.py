"""Incidents: the catalogue of what can be reported, routing rules, and the cases themselves.

The catalogue follows how Chinese digital city management classifies cases (GB/T 30428: 部件
components and 事件 events, with major and minor classes; GB/T 31000's social-governance areas),
so every incident carries a category, a type and a default department. The lifecycle
(上报 → 立案 → 派遣 → 处置 → 办结 → 核查 → 结案, 退回, 作废) is enforced in `rules.py`, not here.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils import timezone


class Priority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    IMPORTANT = "important", _("重要")
    NORMAL = "normal", _("一般")


class CategoryKind(models.TextChoices):
    COMPONENT = "component", _("部件")
    EVENT = "event", _("事件")
    SOCIAL = "social", _("社会治理")


class Category(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=CategoryKind.choices)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class EventType(models.Model):
    """One reportable type (e.g. 井盖缺失). Pinyin is precomputed at import for fast search."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="event_types")
    major_class = models.CharField(max_length=64, blank=True)
    minor_class = models.CharField(max_length=64, blank=True)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="event_types")
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    response_hours = models.FloatField(help_text="Hours from report to acceptance by the department.")
    resolution_hours = models.FloatField(help_text="Hours from report to 办结.")
    emergency = models.BooleanField(default=False, help_text="Goes to the district centre at once.")
    keywords = models.CharField(max_length=255, blank=True, help_text="';'-separated search words.")
    pinyin_full = models.CharField(max_length=512, blank=True, db_index=True)
    pinyin_initials = models.CharField(max_length=128, blank=True, db_index=True)
    active = models.BooleanField(default=True)
    # When the definition last changed (Open311's changeset); the catalogue import sets it only
    # on the rows it creates or changes.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RoutingRule(models.Model):
    """'In this zone, this type (or every type of this category) goes to that department'."""

    event_type = models.ForeignKey(EventType, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules")
    zone = models.ForeignKey("geodata.Zone", on_delete=models.CASCADE, related_name="routing_rules")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="routing_rules")
    note = models.CharField(max_length=255, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="routingrule_type_xor_category",
                condition=(Q(event_type__isnull=False, category__isnull=True)
                           | Q(event_type__isnull=True, category__isnull=False)),
            ),
            models.UniqueConstraint(fields=["event_type", "zone"], name="routingrule_unique_type_zone",
                                    condition=Q(event_type__isnull=False)),
            models.UniqueConstraint(fields=["category", "zone"], name="routingrule_unique_category_zone",
                                    condition=Q(category__isnull=False)),
        ]

    def __str__(self) -> str:
        subject = self.event_type or self.category
        return f"{subject} @ {self.zone_id} → {self.department}"


class Status(models.TextChoices):
    REPORTED = "reported", _("上报")
    REGISTERED = "registered", _("立案")
    DISPATCHED = "dispatched", _("派遣")
    IN_PROGRESS = "in_progress", _("处置")
    RESOLVED = "resolved", _("办结")
    VERIFIED = "verified", _("核查")
    CLOSED = "closed", _("结案")
    RETURNED = "returned", _("退回")
    VOID = "void", _("作废")


# Statuses in which an incident is still someone's work (duplicates, overdue, open counts).
OPEN_STATUSES = (Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED)
# Not yet accepted by a department: the response deadline applies.
AWAITING_RESPONSE = (Status.REPORTED, Status.REGISTERED, Status.DISPATCHED, Status.RETURNED)


class Source(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    CITIZEN = "citizen", _("市民")
    HOTLINE = "hotline_12345", _("12345热线")
    SENSOR = "sensor", _("物联感知")
    OPEN311 = "open311", "Open311"


class Incident(models.Model):
    point = models.PointField(srid=4326)
    input_crs = models.CharField(max_length=8, default="wgs84")
    accuracy_m = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=255, blank=True)
    # The located chain, stored so that lists, counts and visibility need no spatial join.
    # Single-column FK indexes are left out where a composite index leads with the column, or
    # where nothing filters by it (every index is paid for on each intake insert).
    town = models.ForeignKey("geodata.Zone", on_delete=models.PROTECT, related_name="+", db_index=False)
    area = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             db_index=False)
    village = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False)
    grid = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             db_index=False)

    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="incidents", db_index=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents")
    priority = models.CharField(max_length=16, choices=Priority.choices)
    emergency = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    source = models.CharField(max_length=16, choices=Source.choices)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reported_incidents")
    # Personal data of the reporter (citizens, hotline callers, Open311): hidden from departments.
    reporter_name = models.CharField(max_length=64, blank=True)
    reporter_phone = models.CharField(max_length=32, blank=True)
    reporter_email = models.CharField(max_length=128, blank=True)
    co_reporters = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_reported_incidents")
    client_key = models.CharField(max_length=64, blank=True,
                                  help_text="Client idempotency key; unique per reporter.")

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REPORTED)
    version = models.PositiveIntegerField(default=1)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="incidents", db_index=False)
    command_centre = models.ForeignKey("geodata.CommandCentre", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="incidents", help_text="The town sub-centre responsible.",
                                       db_index=False)
    district_notified = models.BooleanField(default=False, help_text="Sent to the district centre as well.")
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     db_index=False)
    routing_reason = models.CharField(max_length=255, blank=True)
    auto_dispatched = models.BooleanField(default=False)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")

    # The server's clock when the report arrived: SLA deadlines, escalation, duplicates and KPIs
    # run from it. A device's own claim of when it saw the problem is `captured_at` (bounded on
    # intake, shown to people, never used for deadlines).
    reported_at = models.DateTimeField(db_index=True)
    captured_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the reporting device says it saw the problem (its clock).")
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    response_deadline = models.DateTimeField()
    resolution_deadline = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["town", "status"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["event_type", "reported_at"]),
            models.Index(fields=["status", "resolution_deadline"]),
            # The operators' `?q=` search is `address__icontains` (UPPER(address) LIKE '%…%'):
            # a trigram index on the same expression serves it without a sequential scan.
            GinIndex(OpClass(Upper("address"), name="gin_trgm_ops"), name="incident_address_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reporter", "client_key"], name="incident_unique_client_key",
                                    condition=~Q(client_key="")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type_id} {self.status}"


def photo_path(instance: "IncidentPhoto", filename: str) -> str:
    return f"incidents/{instance.incident_id}/{instance.sha256[:16]}.{instance.extension}"


class IncidentPhoto(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["incident", "sha256"], name="photo_unique_per_incident")]

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")


class IncidentTransition(models.Model):
    """One line of an incident's history: who moved it from where to where, and why."""

    class Action(models.TextChoices):
        REPORT = "report", _("上报")
        TRANSITION = "transition", _("流转")
        AUTO_DISPATCH = "auto_dispatch", _("自动派遣")
        ESCALATE = "escalate", _("升级")
        MERGE = "merge", _("合并")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.TRANSITION)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"])]


class WorkerPosition(models.Model):
    """A grid worker's position ping from the tablet while on patrol."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="positions")
    point = models.PointField(srid=4326)
    accuracy_m = models.FloatField(null=True, blank=True)
    grid = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    town = models.ForeignKey("geodata.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["user", "-recorded_at"])]
