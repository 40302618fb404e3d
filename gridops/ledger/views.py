"""Pages: the ledger home (heads, notarise, stalls map), a vendor's public page, the officers' view."""
from datetime import datetime, timezone

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridops.core.errors import NotFound
from gridops.core.ratelimit import ratelimit

from . import selectors
from .models import CheckIn


def _i18n() -> dict:
    """Strings the page scripts show, translated server-side."""
    return {
        "verified": _("Verified: this record is in the ledger, under a signed tree head."),
        "failed": _("Verification failed: do not trust this record."),
        "not_signed": _("Logged, waiting for the next signed tree head (within a minute)."),
        "step_leaf": _("The record hashes to the logged leaf"),
        "step_inclusion": _("The leaf is included in the signed tree"),
        "step_signature": _("The tree head is signed by the district's key"),
        "hash_matches": _("The logged hash is this file's"),
        "not_found": _("This file has not been notarised."),
        "entry": _("Entry"),
        "tree_size": _("tree size"),
        "live": _("live"),
    }


@require_GET
def home(request):
    head = selectors.latest_head()
    return render(request, "ledger/home.html", {
        "head": head, "size": selectors.tree_size(), "key": selectors.public_key_json(), "i18n": _i18n(),
        "root_hex": bytes(head.root_hash).hex() if head else "",
        "head_time": datetime.fromtimestamp(head.timestamp_ms / 1000, tz=timezone.utc) if head else None,
        "can_see_corrections": selectors.can_read_kind(request.user, "checkin"),
    })


@require_GET
@ratelimit("ledger.vendor_page", "120/m", methods=("GET",))
def vendor_page(request, code: str):
    try:
        vendor = selectors.vendor_by_code(code)
    except NotFound:
        raise Http404("no such vendor") from None
    return render(request, "ledger/vendor.html", {
        "vendor": vendor, "state": selectors.vendor_state(vendor), "key": selectors.public_key_json(), "i18n": _i18n(),
    })


def _last_event_id() -> int:
    """The live stream resumes after what the page already shows (no replay of old check-ins)."""
    from django.db.models import Max

    from gridops.realtime.models import Event

    return Event.objects.aggregate(last=Max("id"))["last"] or 0


@require_GET
def corrections(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.can_read_kind(request.user, "checkin"):
        return render(request, "ledger/forbidden.html", status=403)
    checkins = selectors.checkins_visible_to(request.user)
    return render(request, "ledger/corrections.html", {
        "flagged": checkins.filter(flagged=True)[:50],
        "recent": checkins[:100],
        "persons": selectors.persons_visible_to(request.user),
        "flagged_count": CheckIn.objects.filter(flagged=True).count(),
        "last_event_id": _last_event_id(),
        "i18n": _i18n(),
    })
