"""Photos attached to an incident (decoded and re-encoded by `core.uploads`; retries are safe)."""
from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from gridops.core import uploads
from gridops.core.errors import Conflict

from .. import conf
from ..models import Incident, IncidentPhoto
from .lifecycle import reachable_pk

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def incident_photo_add(*, user, incident_id, upload) -> tuple[IncidentPhoto, bool]:
    """Attach a photo (decoded, bounded and re-encoded by `core.uploads`, at most the configured
    size); the same photo twice returns the one already stored, so a tablet may retry safely."""
    incident_pk = reachable_pk(user, incident_id)
    checked = uploads.check_upload(upload, limit=conf.photo_max_bytes(), allowed=PHOTO_TYPES, field="photo")
    data, content_type, digest = checked.data, checked.content_type, checked.sha256
    with transaction.atomic():
        # Only the lock (the row was read above): no instance to build.
        Incident.objects.select_for_update().filter(pk=incident_pk).values_list("pk", flat=True).first()
        # An incident holds a handful of photos at most: one read answers "already stored?" and
        # "room for another?".
        held = list(IncidentPhoto.objects.filter(incident_id=incident_pk).order_by("id"))
        existing = next((photo for photo in held if photo.sha256 == digest), None)
        if existing is not None:
            return existing, False
        if len(held) >= conf.photos_per_incident():
            raise Conflict(f"an incident holds at most {conf.photos_per_incident()} photos", field="photo",
                           code="too_many_photos")
        photo = IncidentPhoto(incident_id=incident_pk, content_type=content_type, size=len(data), sha256=digest,
                              uploaded_by=user if user.is_authenticated else None)
        photo.file.save(f"{digest[:16]}.{photo.extension}", ContentFile(data), save=False)
        photo.save()
    return photo, True
