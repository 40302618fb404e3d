"""Secrets never reach a log line: tokens and API keys in URLs are replaced by `[redacted]`.

uvicorn writes the full path with its query string for every websocket handshake (on the
`uvicorn.error` logger, even with `--no-access-log`) and for every request on `uvicorn.access`;
old websocket clients still send `?token=`, and Open311 clients often put `api_key` in the URL.
The filter rewrites the record's message and arguments before any handler formats them, so
it holds whatever handlers or formats an operator configures.
"""
from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("token", "access_token", "api_key", "apikey", "key", "password", "sessionid")
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:%s)=)[^&;\s\"']*" % "|".join(SECRET_PARAMS))
_HEADER_SECRET = re.compile(r"(?i)\b((?:Token|Bearer)\s+)[A-Za-z0-9._~+/=-]{8,}")
LOGGERS = ("uvicorn.access", "uvicorn.error", "django.request", "django.server", "django.channels.server",
           "daphne.server", "gridops")


def redact(text: str) -> str:
    """`text` with secret query values and Token/Bearer credentials replaced."""
    return _HEADER_SECRET.sub(r"\1[redacted]", _QUERY_SECRET.sub(r"\1[redacted]", text))


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(value) if isinstance(value, str) else value
                           for key, value in record.args.items()}
        return True


def install() -> None:
    """Attach the filter to the server and application loggers (idempotent; called at start-up).

    A filter on a logger sees only records logged through that very logger, so each logger that
    writes URLs gets it; the handlers of the root logger get it too for records of any other.
    """
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            handler.addFilter(RedactSecretsFilter())
