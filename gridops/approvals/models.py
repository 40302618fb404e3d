"""One-window approvals (一门式): the service network, the item catalogue, the queue and cases.

The counter does not belong to a department ("只认窗口，不认部门"): a `Counter` has no department
and any clerk at a hall can call any ticket for any item. Departments appear only on `Item`
(who owns and reviews it). Documents are stored once per applicant (`ApplicantDocument`) and
linked to cases, so an applicant's earlier documents can be offered again (数据跑路).
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class HallKind(models.TextChoices):
    DISTRICT_CENTRE = "district_centre", _("区行政服务中心")
    TOWN_CENTRE = "town_centre", _("镇街行政服务中心")
    VILLAGE_STATION = "village_station", _("村居服务站")


class Hall(models.Model):
    """A service hall: one point, inside the zone it serves, with counters and opening hours."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=HallKind.choices)
    zone = models.ForeignKey("geodata.Zone", on_delete=models.PROTECT, related_name="service_halls")
    location = models.PointField(srid=4326)
    address = models.CharField(max_length=128, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # {"mon": [["09:00", "12:00"], ["14:00", "17:30"]], ..., "sun": []}
    opening_hours = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Counter(models.Model):
    """A window of a hall; it serves every item (no department)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=32, blank=True)
    is_open = models.BooleanField(default=True)

    class Meta:
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="approvals_counter_unique_number")]

    def __str__(self) -> str:
        return f"{self.hall.code}#{self.number}"


class Terminal(models.Model):
    """A self-service terminal; 24-hour terminals stand in a lobby open round the clock."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.SET_NULL, related_name="terminals")
    location = models.PointField(srid=4326)
    is_24h = models.BooleanField(default=True)
    functions = models.JSONField(default=list, help_text="What it does: print, ticket, apply, pickup ...")

    class Meta:
        ordering = ["code"]


class ClerkAssignment(models.Model):
    """Which hall a counter clerk works at (clerks act only at their hall)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_assignments")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="clerk_assignments")
    is_active = models.BooleanField(default=True)
    since = models.DateField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_active=True), name="approvals_one_active_hall_per_clerk"
            )
        ]


class DocumentType(models.Model):
    """A kind of document (居民身份证, 营业执照, ...), the unit documents are reused by."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    # Identity documents never expire for reuse purposes; others are offered for this many days.
    reuse_days = models.PositiveIntegerField(default=365)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ItemCategory(models.TextChoices):
    LICENCE = "licence", _("行政许可")
    REGISTRATION = "registration", _("行政确认")
    SERVICE = "service", _("公共服务")
    FILING = "filing", _("备案")
    BENEFIT = "benefit", _("行政给付")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    COMPANY = "company", _("法人")


class Item(models.Model):
    """An approval item of the catalogue, owned (and reviewed) by one department."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="approval_items")
    category = models.CharField(max_length=16, choices=ItemCategory.choices)
    applicant_kind = models.CharField(max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    legal_limit_days = models.PositiveSmallIntegerField(help_text="Legal time limit in working days.")
    promised_limit_days = models.PositiveSmallIntegerField(help_text="Promised limit (承诺时限), working days.")
    on_the_spot = models.BooleanField(default=False, help_text="即办件: finished at the counter.")
    online = models.BooleanField(default=False, help_text="Can be applied for online (零跑腿).")
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    documents = models.ManyToManyField(DocumentType, through="ItemDocument", related_name="items")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="approvals_item_promise_within_law", condition=Q(promised_limit_days__lte=models.F("legal_limit_days"))
            )
        ]

    def __str__(self) -> str:
        return self.name


class ItemDocument(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_documents")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    required = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "document_type"], name="approvals_item_document_once")]


class Applicant(models.Model):
    """A person (身份证号) or company (统一社会信用代码); identity is the number, not the login."""

    kind = models.CharField(max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON)
    id_number = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    phone = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="applicant_identities"
    )

    def __str__(self) -> str:
        return self.name


def document_upload_path(instance, filename: str) -> str:
    return f"approvals/{instance.applicant_id}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class ApplicantDocument(models.Model):
    """A document an applicant handed in once; later cases link to it instead of asking again."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="documents")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    file = models.FileField(upload_to=document_upload_path, max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=128, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["applicant", "document_type", "-uploaded_at"])]

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(self.content_type, ".bin")


class TicketChannel(models.TextChoices):
    WALK_IN = "walk_in", _("现场取号")
    BOOKED = "booked", _("预约")


class TicketStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("办理中")
    DONE = "done", _("已办结")
    NO_SHOW = "no_show", _("过号")
    CANCELLED = "cancelled", _("已取消")


class Ticket(models.Model):
    """A queue number at a hall; called to any free counter of that hall for any item."""

    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField()
    number = models.CharField(max_length=8, help_text="A001 walk-in, Y001 booked; restarts daily.")
    channel = models.CharField(max_length=16, choices=TicketChannel.choices)
    status = models.CharField(max_length=16, choices=TicketStatus.choices, db_index=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="tickets")
    applicant = models.ForeignKey(Applicant, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    slot_start = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["hall", "day", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "number"], name="approvals_ticket_number_daily"),
            # A counter serves one ticket at a time: the database refuses a second called ticket.
            models.UniqueConstraint(
                fields=["counter"], condition=Q(status="called"), name="approvals_one_ticket_per_counter"
            ),
        ]
        indexes = [models.Index(fields=["hall", "status", "issued_at"], name="approvals_ticket_queue")]


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("受理")
    REVIEW = "review", _("审查")
    APPROVED = "approved", pgettext_lazy("approval case", "办结")
    REFUSED = "refused", _("不予受理")
    RETURNED = "returned", _("退回补正")
    DELIVERED = "delivered", _("送达")


class CaseChannel(models.TextChoices):
    COUNTER = "counter", _("窗口")
    ONLINE = "online", _("网上办理")
    SELF_SERVICE = "self_service", _("自助终端")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("窗口领取")
    COURIER = "courier", _("邮寄送达")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Case(models.Model):
    """One application: accepted at a hall or online, reviewed, decided and delivered.

    Counter timings (`wait_seconds`, `handling_seconds`) are copied from the ticket when it is
    finished, so the KPIs are one scan of this table (the history generator writes them by COPY).
    """

    number = models.CharField(max_length=24, unique=True)
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="cases")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="cases")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="approval_cases")
    channel = models.CharField(max_length=16, choices=CaseChannel.choices)
    state = models.CharField(max_length=16, choices=CaseState.choices)
    accepted_hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    finished_hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    on_the_spot = models.BooleanField(default=False, help_text="Approved before the applicant left the counter.")
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    missing_documents = models.ManyToManyField(DocumentType, blank=True, related_name="+")
    delivery_method = models.CharField(max_length=16, choices=DeliveryMethod.choices, blank=True)
    delivery_address = models.CharField(max_length=200, blank=True)
    courier_tracking = models.CharField(max_length=40, blank=True)
    rating = models.CharField(max_length=16, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["accepted_at"], name="approvals_case_accepted"),
            models.Index(fields=["applicant", "-submitted_at"], name="approvals_case_applicant"),
            models.Index(fields=["department", "state"], name="approvals_case_dept_state"),
        ]

    def __str__(self) -> str:
        return self.number


class CaseDocument(models.Model):
    """A document attached to a case; `reused` marks one taken from an earlier case (数据跑路)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_documents")
    document = models.ForeignKey(ApplicantDocument, on_delete=models.PROTECT, related_name="case_links")
    reused = models.BooleanField(default=False)
    attached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "document"], name="approvals_case_document_once")]


class CaseEvent(models.Model):
    """The audit trail of a case: every transition, who did it and where."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
