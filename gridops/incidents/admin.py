"""Admin screens for the catalogue and routing rules (incidents themselves are worked in the console)."""
from django.contrib import admin

from .models import Category, EventType, Incident, IncidentTransition, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    search_fields = ["code", "name"]


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "department", "priority", "emergency", "active"]
    list_filter = ["category", "priority", "emergency", "active"]
    search_fields = ["code", "name", "keywords", "pinyin_initials"]
    readonly_fields = ["pinyin_full", "pinyin_initials"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "category", "zone", "department", "active"]
    list_filter = ["active", "department"]
    raw_id_fields = ["event_type", "zone"]
    search_fields = ["zone__code", "zone__name", "event_type__name", "note"]


class TransitionInline(admin.TabularInline):
    model = IncidentTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "from_status", "to_status", "department", "note", "at"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """View only: every change of an incident goes through its services (history, version, the
    live push, the tiles' data version); an admin save or delete would bypass all of them."""

    list_display = ["id", "event_type", "status", "town", "department", "reported_at", "escalation_level"]
    list_filter = ["status", "priority", "source"]
    raw_id_fields = ["event_type", "town", "area", "village", "grid", "reporter", "merged_into", "routing_rule"]
    readonly_fields = ["status", "version", "escalation_level", "escalated_at"]
    inlines = [TransitionInline]
    date_hierarchy = "reported_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
