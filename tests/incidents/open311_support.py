"""What the Open311 test modules share: an endpoint's URL by name and format."""
from django.urls import reverse


def url(name, fmt="json", **kwargs):
    """The Open311 endpoint `name` answering in `fmt` (json or xml), e.g. url("open311-requests")."""
    return reverse(name, kwargs={"fmt": fmt, **kwargs})
