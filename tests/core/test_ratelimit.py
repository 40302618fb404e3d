"""Rate limits count in the real Redis cache and answer 429 with Retry-After."""
import uuid

from django.http import HttpResponse
from django.test import RequestFactory

from gridops.core.ratelimit import parse_rate, ratelimit


def test_parse_rate():
    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("5/h") == (5, 3600)


def test_over_the_limit_is_429_and_get_is_not_counted(settings):
    scope = f"test-{uuid.uuid4().hex}"
    settings.GRIDOPS_RATE_LIMITS = {scope: "3/m"}

    @ratelimit(scope, "100/m")
    def view(request):
        return HttpResponse("ok")

    factory = RequestFactory()
    assert view(factory.get("/")).status_code == 200
    codes = [view(factory.post("/")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = view(factory.post("/"))
    assert int(limited["Retry-After"]) >= 1
    other_client = factory.post("/", REMOTE_ADDR="10.9.9.9")
    assert view(other_client).status_code == 200


def test_reset_all_forgets_counters(settings):
    from gridops.core.ratelimit import hit, reset_all

    scope = f"test-{uuid.uuid4().hex}"
    assert hit(scope, "1.2.3.4", "1/m") is None
    assert hit(scope, "1.2.3.4", "1/m") is not None
    assert reset_all() >= 1
    assert hit(scope, "1.2.3.4", "1/m") is None
