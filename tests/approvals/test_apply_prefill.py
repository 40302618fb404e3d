"""Issue 12: the demo citizen's pre-filled resident ID failed its own check digit, so applying
with one's own details was refused. The page offers only an identity whose number is valid."""
import pytest
from django.test import Client
from django.urls import reverse

from gridops.approvals import rules
from gridops.approvals.models import Applicant
from gridops.approvals.selectors import applicant_of_user
from gridops.core.resident_id import resident_id_valid
from gridops.ledger.demo import DEMO_ID_NUMBER
from tests.builders import make_user

pytestmark = pytest.mark.django_db

BAD = "440604199001011237"  # the old demo number: its check character should be X


def test_the_demo_resident_id_passes_its_own_check():
    assert resident_id_valid(DEMO_ID_NUMBER) and not resident_id_valid(BAD)


def test_apply_page_prefills_only_a_valid_identity():
    user = make_user("citizen")
    Applicant.objects.create(id_number=BAD, name="张三", user=user)  # written before the check existed
    assert applicant_of_user(user) is None
    good = Applicant.objects.create(id_number=DEMO_ID_NUMBER, name="张三", user=user)
    assert applicant_of_user(user) == good
    client = Client()
    client.force_login(user)
    page = client.get(reverse("approvals-apply")).content.decode()
    assert f'value="{DEMO_ID_NUMBER}"' in page and BAD not in page


def test_a_bad_number_is_refused_in_the_pages_language():
    from django.utils import translation

    from gridops.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        rules.normalise_id_number("person", BAD)
    with translation.override("zh-hans"):
        chinese = refused.value.as_dict()["error"]
    with translation.override("en"):
        english = refused.value.as_dict()["error"]
    assert chinese["field"] == "id_number" and chinese["message"] == "证件号码无效（请核对位数和校验位）"
    assert english["message"] == "the identity number is not valid"
