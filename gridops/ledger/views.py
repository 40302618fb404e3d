"""Pages: the ledger home (heads, notarise, stalls map), a vendor's public page, the officers' view."""
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridops.core.ratelimit import ratelimit

from . import selectors
from .models import CheckIn


@require_GET
def home(request):
    return render(request, "ledger/home.html", {"head": selectors.latest_head(), "size": selectors.tree_size(),
                                                "key": selectors.public_key_json()})


@require_GET
@ratelimit("ledger.vendor_page", "120/m", methods=("GET",))
def vendor_page(request, code: str):
    from django.http import Http404

    from gridops.core.errors import NotFound

    try:
        vendor = selectors.vendor_by_code(code)
    except NotFound:
        raise Http404("no such vendor") from None
    return render(request, "ledger/vendor.html", {
        "vendor": vendor, "state": selectors.vendor_state(vendor), "key": selectors.public_key_json(),
    })


@require_GET
def corrections(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.can_read_kind(request.user, "checkin"):
        raise PermissionDenied("justice officers only")
    checkins = selectors.checkins_visible_to(request.user)
    return render(request, "ledger/corrections.html", {
        "flagged": checkins.filter(flagged=True)[:50],
        "recent": checkins[:100],
        "persons": selectors.persons_visible_to(request.user),
        "flagged_count": CheckIn.objects.filter(flagged=True).count(),
    })
