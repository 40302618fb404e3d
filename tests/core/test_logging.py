"""A line Django logs is written once, at the level LOG_LEVEL sets."""
import logging


def _writers(name: str, record: logging.LogRecord) -> list[logging.Handler]:
    """The stream handlers (pytest's own capture aside) that would write `record` logged on `name`."""
    writers, logger = [], logging.getLogger(name)
    while logger is not None:
        writers += [h for h in logger.handlers if isinstance(h, logging.StreamHandler)
                    and not type(h).__module__.startswith("_pytest") and h.filter(record)
                    and record.levelno >= h.level]
        if not logger.propagate:
            break
        logger = logger.parent
    return writers


def test_a_django_request_warning_is_written_once_even_under_debug(settings):
    settings.DEBUG = True  # Django's default console handler writes only under DEBUG
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: /nope", None, None)
    assert len(_writers("django.request", record)) == 1


def test_djangos_loggers_follow_the_log_level(settings):
    """LOG_LEVEL (WARNING unless set) holds for Django's loggers too: a bench's LOG_LEVEL=ERROR
    silences the 409 "Conflict" lines (Django's default INFO level let them through)."""
    level = logging.getLevelName(settings.LOG_LEVEL)
    assert logging.getLogger("django.request").getEffectiveLevel() == level
