"""Pages of approvals: the hall screen, the approvals map and the applicant's online page.

Thin: the templates fetch their data from the API and listen on the realtime websocket.
"""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

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
