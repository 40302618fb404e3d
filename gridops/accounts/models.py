"""Who a user is in the district: role, jurisdiction zone, department, micro-grids.

Every visibility rule (selectors in each app) starts from a user's `Profile`.
"""
from django.conf import settings
from django.db import models


class Department(models.Model):
    """One of the district's departments (城管, 住建, ...); incidents and approval items belong to one."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    short_name = models.CharField(max_length=16)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    DISTRICT_OPERATOR = "district_operator", "区指挥中心操作员"
    TOWN_OPERATOR = "town_operator", "镇街分中心操作员"
    DEPARTMENT_HANDLER = "department_handler", "部门处置人员"
    GRID_WORKER = "grid_worker", "网格员"
    PLANNER = "planner", "教育规划人员"
    COUNTER_CLERK = "counter_clerk", "窗口人员"
    REVIEWER = "reviewer", "审批人员"
    JUSTICE_OFFICER = "justice_officer", "司法矫正干部"
    CITIZEN = "citizen", "市民"
    # The command centre's wall display (指挥大屏): sees its jurisdiction's figures, may only view.
    SCREEN = "screen", "指挥大屏"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CITIZEN)
    zone = models.ForeignKey(
        "geodata.Zone", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Jurisdiction: the district for district operators, a town for town operators.",
    )
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    grids = models.ManyToManyField("geodata.Zone", blank=True, related_name="grid_workers")
    display_name = models.CharField(max_length=64, blank=True)
    phone = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"
