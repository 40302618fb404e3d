"""Error messages in the reader's language.

Domain errors are raised with an English message that names the problem precisely (for logs,
developers and English pages). When the request's language is another one (Chinese by default),
the message is looked up in the translation catalogues; a message nobody translated yet is
replaced by the localized sentence for its error code, naming the field, so a Chinese page never
shows English server text. Pages that explain an error themselves use the same table
(`error_code_messages`), so a code reads the same everywhere.
"""
from __future__ import annotations

from django.utils.translation import get_language, gettext, gettext_lazy as _

# One sentence per error code (GridOpsError subclasses, DRF's codes and the rate limiter's).
CODE_MESSAGES = {
    "invalid": _("The request is not valid."),
    "bad_request": _("The request is not valid."),
    "parse_error": _("The request could not be read."),
    "not_authenticated": _("Please sign in again."),
    "authentication_failed": _("Please sign in again."),
    "forbidden": _("You may not do this."),
    "permission_denied": _("You may not do this."),
    "not_found": _("Not found, or not yours to see."),
    "conflict": _("Someone else changed this first; reload and try again."),
    "stale_version": _("Someone else changed this first; reload and try again."),
    "invalid_transition": _("This step is not possible in the current state."),
    "too_large": _("The upload is too large."),
    "unsupported_media_type": _("This kind of file is not accepted."),
    "unavailable": _("The service is busy; try again shortly."),
    "database_unavailable": _("The service is busy; try again shortly."),
    "throttled": _("Too many attempts; wait a moment and try again."),
    "rate_limited": _("Too many attempts; wait a moment and try again."),
    "method_not_allowed": _("This request is not allowed here."),
    "outside_district": _("The place is outside the district."),
}
FIELD_NOTE = _("(field: {field})")


def _is_chinese(text: str) -> bool:
    """Already in Chinese (DRF's own translated messages, or a message written in Chinese)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def error_code_messages() -> dict[str, str]:
    """The table above in the active language, for pages' scripts."""
    return {code: str(text) for code, text in CODE_MESSAGES.items()}


def localized_message(code: str, message: str, field: str | None = None) -> str:
    """`message` in the active language: as written for English, translated when a catalogue has
    it, else the code's sentence (with the field) rather than English in a Chinese page."""
    message = str(message)
    if (get_language() or "en").lower().startswith("en") or _is_chinese(message):
        return message
    translated = gettext(message)
    if translated != message:
        return translated
    text = str(CODE_MESSAGES.get(code, CODE_MESSAGES["invalid"]))
    return f"{text}{FIELD_NOTE.format(field=field)}" if field else text
