"""Open311 API keys (issued, hashed, revoked) and what a client sent beside its request.

Keys are `djangorestframework-api-key`'s: a random `prefix.secret`, of which only the prefix and a
SHA-512 hash are stored; the full key is shown once, when it is issued (admin or
`manage.py open311_key create`). Revoking is final.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey


class Open311Key(AbstractAPIKey):
    """A key one client app (named by `name`) uses to POST service requests."""

    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")


class Open311Submission(models.Model):
    """The Open311 side of an incident: which client (and key) sent it, and its `media_url`.

    Kept apart from `Incident.description` (the public text the reporter wrote) so GET answers
    return them in their own fields, as the spec has them.
    """

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, primary_key=True,
                                    related_name="open311")
    key = models.ForeignKey(Open311Key, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions",
                            help_text=_("Empty for the bootstrap key from GRIDOPS_OPEN311_API_KEYS."))
    client = models.CharField(max_length=64)
    media_url = models.URLField(max_length=2000, blank=True)
    address_string = models.CharField(max_length=255, blank=True)
    located_by_address = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.incident_id} via {self.client}"
