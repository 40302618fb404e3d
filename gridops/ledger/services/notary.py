"""Notarisation: a document's SHA-256 in the log, with a receipt at once."""
from __future__ import annotations

import re

from django.db import connection
from django.utils import timezone

from gridops.core.errors import InvalidInput, NotAuthenticated

from .. import records, selectors
from ..models import Entry, Kind, Notarisation
from .. import sequencer as sequencing
from .log import append_leaves, sign_head

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def notarise(*, user, sha256: str, title: str = "") -> tuple[Notarisation, dict]:
    """Log a document's SHA-256 and return at once a receipt proved against a fresh signed head."""
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("log in to notarise a document")
    digest = (sha256 or "").strip().lower()
    if not SHA256_RE.match(digest):
        raise InvalidInput("sha256 must be 64 hexadecimal characters", field="sha256")
    title = (title or "").strip()
    if len(title) > 120:
        raise InvalidInput("title is longer than 120 characters", field="title")
    created_at = timezone.now()
    leaf = records.leaf_bytes(Kind.NOTARY, records.notary_record(digest, title), records.utc_iso(created_at))

    def record(entry: Entry) -> Notarisation:
        return Notarisation.objects.create(
            sha256=digest, title=title, submitted_by=user, submitted_at=created_at, entry=entry
        )

    if connection.in_atomic_block:  # inside a caller's transaction: append and sign right here
        entry = append_leaves([(Kind.NOTARY, leaf)], created_at=created_at)[0]
        notarisation, head = record(entry), sign_head()
    else:  # a request on its own: group-committed with concurrent ones (see sequencer.py)
        entry, head, notarisation = sequencing.sequencer.submit(Kind.NOTARY, leaf, then=record)
    return notarisation, selectors.receipt(entry, head)
