"""Admin: departments and user profiles (role, jurisdiction, micro-grids)."""
from django.contrib import admin

from .models import Department, Profile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name"]
    search_fields = ["code", "name", "short_name"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "zone", "department", "display_name"]
    list_filter = ["role", "department"]
    raw_id_fields = ["user", "zone", "grids"]
    search_fields = ["user__username", "display_name"]
