"""Admin: departments and user profiles (role, jurisdiction, micro-grids)."""
from django.contrib import admin

from . import services
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

    def save_model(self, request, obj, form, change):
        """Remember what the profile allowed before the form is saved (grids follow in save_related)."""
        stored = Profile.objects.filter(pk=obj.pk).first() if change else None
        request._profile_before = (services.profile_access(stored),
                                   {name: getattr(stored, name, None) for name in services.PERSONAL_FIELDS})
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before, personal_before = request._profile_before
        services.profile_changes_record(actor=request.user, profile=form.instance, before=before,
                                        personal_before=personal_before if change else None,
                                        request=request, created=not change)

    def delete_model(self, request, obj):
        services.profile_delete(actor=request.user, profile=obj, request=request)

    def delete_queryset(self, request, queryset):
        for profile in queryset:
            services.profile_delete(actor=request.user, profile=profile, request=request)
