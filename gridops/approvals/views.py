"""Pages of approvals: the hall screen, the approvals map and the applicant's online page.

Thin: the templates fetch their data from the API and listen on the realtime websocket.
"""
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridops.accounts.selectors import profile_of

from gridops.core.errors import GridOpsError, error_response

from . import selectors


def hall_screen(request, code):
    """The big screen in a hall: who is called to which counter, who is next, today's figures."""
    try:
        hall = selectors.hall_by_code(code)
    except GridOpsError as exc:
        return error_response(exc)
    return render(request, "approvals/hall_screen.html", {"hall": hall})


def approvals_map(request):
    return render(request, "approvals/map.html")


@login_required
def apply_online(request):
    """零跑腿: choose an item, reuse earlier documents, upload the rest, follow the status."""
    return render(request, "approvals/apply.html", {"applicant": selectors.applicant_of_user(request.user)})


@require_GET
def desk(request):
    """The staff back office: a clerk's counter (queue, call next, finish) or a reviewer's cases.

    Clerks need a hall assignment and reviewers a department; anyone else gets a 403 page (and
    the anonymous the login page). Every action goes through the JSON API, which checks again.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    hall = selectors.clerk_hall(request.user)
    if hall is not None:
        return render(request, "approvals/desk.html",
                      {"mode": "clerk", "hall": hall, "counters": selectors.desk_counters(hall)})
    if selectors.reviewer_department_id(request.user) is not None:
        return render(request, "approvals/desk.html",
                      {"mode": "reviewer", "department": profile_of(request.user).department})
    return render(request, "approvals/forbidden.html", status=403)
