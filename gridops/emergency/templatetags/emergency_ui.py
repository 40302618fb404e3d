"""`{% emergency_config "console" %}` / `"tablet"`: what the emergency scripts of a page need (URLs
and translated strings), as a JSON script element, so the pages' own views stay untouched."""
from django import template
from django.urls import reverse
from django.utils.html import json_script
from django.utils.translation import gettext as _

from ..models import Kind, TaskStatus

register = template.Library()


def _strings() -> dict:
    return {
        "statuses": {s.value: str(s.label) for s in TaskStatus}, "kinds": {k.value: str(k.label) for k in Kind},
        "emergencies": _("Emergencies"), "declare": _("Declare an emergency"), "kind": _("Kind"), "title": _("Title"),
        "draw": _("Draw the area on the map: a polygon or a circle"), "submit": _("Declare"), "cancel": _("Cancel"),
        "drawFirst": _("Draw the area first"), "none": _("No active emergencies"),
        "counts": _("{ack} acknowledged · {way} on the way · {arrived} arrived · {silent} silent"),
        "deadline": _("Acknowledge by {when}"), "escalate": _("Escalate"), "close": _("Close"),
        "declared": _("Declared: {title}"), "failed": _("The action failed"), "worker": _("Worker"),
        "task": _("Emergency task"), "acknowledge": _("Acknowledge"), "onTheWay": _("On my way"), "arrived": _("Arrived"),
        "level": _("Escalation level {level}"), "state": _("Status"),
        "drawPolygon": _("Draw a polygon"), "drawCircle": _("Draw a circle round a point"), "finish": _("Finish the area"),
        "undo": _("Delete the last point"), "tipStart": _("Click to start the area"),
        "tipCont": _("Click to add a corner"), "tipEnd": _("Click the first corner to close the area"),
        "tipCircle": _("Press and drag to draw the circle"),
    }


@register.simple_tag
def emergency_kinds():
    """The kinds an operator may declare, for the console's form (the model's one list)."""
    return Kind.choices


@register.simple_tag
def emergency_config(page: str):
    config = {
        "page": page, "i18n": _strings(),
        "api": {"list": reverse("emergency-api:list"), "mine": reverse("emergency-api:my-tasks"),
                "detail": reverse("emergency-api:detail", args=[0]), "task": reverse("emergency-api:task", args=[0]),
                "escalate": reverse("emergency-api:escalate", args=[0]), "close": reverse("emergency-api:close", args=[0])},
    }
    return json_script(config, "emergency-config")
