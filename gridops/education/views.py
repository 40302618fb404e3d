"""The planner's page: a thin view; the page reads everything from the education API."""
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import conf, rules
from .models import CatchmentPlan, PlanStatus


def planner_page(request):
    """Planners only: anonymous users go to the login page, other roles get a 403 page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.is_planner(request.user):
        return render(request, "education/forbidden.html", status=403)
    plans = CatchmentPlan.objects.order_by("-status", "-school_year", "-id")
    i18n = {
        "seats": _("Seats"), "demand": _("Demand"), "gap": _("Gap"), "enrolled": _("Enrolled"),
        "hukouShare": _("Hukou share (catchment)"), "enrolledHukou": _("Hukou share (pupils)"),
        "entryGap": _("Entry-grade gap"), "grids": _("Micro-grids"), "primary": _("Primary"), "junior": _("Junior middle"),
        "shortage": _("shortage"), "surplus": _("surplus"), "changed": _("Schools changed"),
        "pickTarget": _("Click a catchment to choose the school that takes the grids."),
        "pickGrids": _("Click micro-grids to move them to {school}."), "noMoves": _("No grids selected."),
        "district": _("District total"), "unassigned": _("Unassigned children"), "newSchool": _("Proposed school"),
        "clickMap": _("Click the map where the new school would stand."), "serving": _("Serving schools"),
        "straight": _("straight line"), "road": _("by road"), "error": _("Error"),
        "gapShare": _("Seat gap as a share of seats (gap / seats)"),
        "modeMove": _("Moving grids: click the school that takes them, then the micro-grids."),
        "modeAdd": _("Adding a school: click the map where it would stand, then its micro-grids."),
        "pickedCount": _("{n} micro-grid(s) picked"),
        "draft": str(PlanStatus.DRAFT.label), "published": str(PlanStatus.PUBLISHED.label),
        "archived": str(PlanStatus.ARCHIVED.label), "publish": _("Publish this plan"),
        "draftCreated": _("Draft “{name}” created; it is on the map now."),
        "confirmPublish": _("Publish “{name}”? It replaces the plan in force. Click again to confirm."),
        "confirmPublishButton": _("Click again to publish"),
        "savedMoves": _("{n} grid move(s) saved into the draft."),
    }
    context = {"plans": plans, "i18n": i18n, "base_year": conf.base_year(),
               "last_year": conf.base_year() + conf.projection_horizon(),
               "can_publish": rules.can_publish(request.user),
               "plans_url": reverse("education-plans"), "publish_url": reverse("education-publish", args=[0]),
               "apply_url": reverse("education-apply", args=[0])}
    return render(request, "education/planner.html", context)
