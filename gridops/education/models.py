"""The education map (教育一张图): schools, their seats, catchment plans and school-age children.

Figures are stored as rows (one per grade, per age and hukou status) rather than arrays so that
every planner question is a single set-based SQL query (see `selectors.py`).
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SchoolLevel(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")


# Grades each level teaches and the age of a pupil in each grade (entry at six, China's rule).
GRADES = {SchoolLevel.PRIMARY: range(1, 7), SchoolLevel.JUNIOR: range(7, 10)}
AGES = {SchoolLevel.PRIMARY: range(6, 12), SchoolLevel.JUNIOR: range(12, 15)}
MAX_CHILD_AGE = 14


class Ownership(models.TextChoices):
    PUBLIC = "public", _("公办")
    PRIVATE = "private", _("民办")


class School(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    level = models.CharField(max_length=16, choices=SchoolLevel.choices, db_index=True)
    ownership = models.CharField(max_length=16, choices=Ownership.choices, default=Ownership.PUBLIC)
    location = models.PointField(srid=4326)
    zone = models.ForeignKey(
        "geodata.Zone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The micro-grid the school stands in (found from its location when loaded).",
    )
    address = models.CharField(max_length=200, blank=True)
    # A school proposed in a plan is not yet built: it counts only in the plans that assign it.
    planned = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SchoolGrade(models.Model):
    """One grade of one school: classes, approved seats and the pupils enrolled, by hukou."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="grades")
    grade = models.PositiveSmallIntegerField()
    classes = models.PositiveSmallIntegerField(default=0)
    seats = models.PositiveIntegerField(default=0)
    enrolled = models.PositiveIntegerField(default=0)
    enrolled_hukou = models.PositiveIntegerField(default=0, help_text="户籍生 among the enrolled")

    class Meta:
        ordering = ["school", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["school", "grade"], name="school_grade_unique"),
            models.CheckConstraint(name="school_grade_range", condition=Q(grade__gte=1, grade__lte=9)),
            models.CheckConstraint(name="school_grade_hukou_le_enrolled", condition=Q(enrolled_hukou__lte=models.F("enrolled"))),
        ]

    @property
    def enrolled_non_hukou(self) -> int:
        return self.enrolled - self.enrolled_hukou


class GridChildren(models.Model):
    """Children living in a micro-grid in the base year, by age (0-14) and hukou status.

    Ages below school age are kept because they are next years' pupils (the projection ages them).
    """

    zone = models.ForeignKey("geodata.Zone", on_delete=models.CASCADE, related_name="+")
    base_year = models.PositiveSmallIntegerField()
    age = models.PositiveSmallIntegerField()
    hukou = models.BooleanField(help_text="True: local hukou (户籍); False: non-hukou (非户籍)")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zone", "base_year", "age", "hukou"], name="grid_children_unique"),
            models.CheckConstraint(name="grid_children_age", condition=Q(age__lte=MAX_CHILD_AGE)),
        ]
        indexes = [models.Index(fields=["base_year", "zone"])]


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草案")
    PUBLISHED = "published", _("已发布")
    ARCHIVED = "archived", _("已归档")


class CatchmentPlan(models.Model):
    """One version of the admission catchments (招生范围): this year's published plan or a proposal."""

    name = models.CharField(max_length=128)
    school_year = models.PositiveSmallIntegerField(help_text="The autumn the plan admits for, e.g. 2025")
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT, db_index=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-school_year", "-id"]
        permissions = [("publish_catchmentplan", "Can publish a catchment plan")]
        constraints = [
            # Only one plan is in force at a time; publishing archives the previous one.
            models.UniqueConstraint(fields=["status"], condition=Q(status="published"), name="one_published_plan"),
            models.CheckConstraint(
                name="published_plan_has_publisher",
                condition=~Q(status="published") | Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class CatchmentMember(models.Model):
    """A zone (micro-grid or village) in one school's catchment in one plan.

    A grid may be in several schools' catchments of the same level (多校划片); its children are
    then split between those schools in proportion to `weight` (equal weights split equally), so
    the schools' demand always adds up to the district's children.
    """

    plan = models.ForeignKey(CatchmentPlan, on_delete=models.CASCADE, related_name="members")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="catchment_members")
    zone = models.ForeignKey("geodata.Zone", on_delete=models.CASCADE, related_name="+")
    weight = models.FloatField(default=1.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "school", "zone"], name="catchment_member_unique"),
            models.CheckConstraint(name="catchment_weight_positive", condition=Q(weight__gt=0)),
        ]
        indexes = [models.Index(fields=["plan", "zone"])]
