"""Property-based: whatever a tablet sends, intake answers 2xx/4xx naming a field, never 500."""
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridops.core.errors import GridOpsError
from gridops.core.uploads import check_bytes
from gridops.incidents.services.photos import PHOTO_TYPES
from tests.fuzzing import examples

from .test_api import client_for

pytestmark = pytest.mark.django_db

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=80))
bodies = st.fixed_dictionaries(
    {},
    optional={
        "event_type": st.one_of(st.just("0101001"), scalars),
        "lon": st.one_of(st.floats(112.9, 113.1), scalars),
        "lat": st.one_of(st.floats(22.95, 23.05), scalars),
        "crs": st.one_of(st.sampled_from(["wgs84", "gcj02", "bd09", "WGS-84"]), scalars),
        "accuracy_m": scalars,
        "client_key": scalars,
        "description": scalars,
        "reported_at": scalars,
        "source": scalars,
    },
)
SETTINGS = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(body=bodies)
def test_intake_never_500(world, body):
    response = client_for(world["users"]["nz_worker"]).post(reverse("incident-list"), body, format="json")
    assert response.status_code in (200, 201, 400, 403), (response.status_code, response.content)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["message"]
        if response.status_code == 400:
            assert error["field"]


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(["status", "priority", "bbox", "in_bbox", "since", "until",
                                               "overdue", "open", "page", "category", "town"]),
                              st.text(max_size=40), max_size=4))
def test_list_filters_never_500(world, params):
    response = client_for(world["users"]["district_op"]).get(reverse("incident-list"), params)
    assert response.status_code in (200, 400, 404), (params, response.content)


@given(data=st.binary(max_size=64))
def test_judging_arbitrary_bytes_answers_a_type_or_a_4xx(data):
    try:
        checked = check_bytes(data, allowed=PHOTO_TYPES, field="photo")
    except GridOpsError as exc:
        assert 400 <= exc.status < 500 and exc.field == "photo"
    else:
        assert checked.content_type in PHOTO_TYPES
